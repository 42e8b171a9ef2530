/**
 * The composition root: reads the environment, builds the app, starts it, and stops it on SIGINT/SIGTERM
 * (streams stop, clients get close 1001, exit 0 within 5 s). The only module with process-level state.
 */
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { exitOnSignals } from './shutdown.ts';

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  console.error('tickwire: invalid configuration:');
  for (const e of loaded.errors) console.error(`  ${e.message}`);
  process.exit(2);
}
const config = loaded.config;
const app = buildApp(config);

try {
  // The port listens first; the market source, IB connection and strategy warm-up come up behind it (GET /ready).
  const { port } = await app.start({ background: true });
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `${host}:${port}`;
  const market = app.source ? `market: ${app.source.name}, symbols: ${app.source.symbols().join(', ')}` : 'market: from the producer';
  console.log(`tickwire ${app.role} ${app.id}: listening on http://${base} (${market}${config.cluster.redisUrl ? ', broker: redis' : ''})`);
  console.log(`  docs        http://${base}/api/v1/ws/asyncapi   (spec: /api/v1/ws/asyncapi.json)`);
  console.log(`  status      http://${base}/websocket/status     health: /health`);
  if (app.role !== 'producer') console.log(`  dashboard   http://${base}/`);
  if (app.role !== 'producer') console.log(`  websockets  ws://${base}/api/v1/ws  ws://${base}/ws  ws://${base}/api/ws/stream/backtest/{id}`);
  if (app.role !== 'producer') console.log(`              ws://${base}/api/ws/stream/live-trading?symbols=AAPL  ws://${base}/api/ws/stream/market-data/{symbol}`);
  const auth = config.auth;
  console.log(auth.mode === 'jwt'
    ? `  auth        jwt (${auth.secret ? 'HS256 secret' : `JWKS ${auth.jwksUrl}`}${auth.audience ? `, aud ${auth.audience}` : ''}${auth.issuer ? `, iss ${auth.issuer}` : ''}); anonymous market data: ${auth.anonymousMarketData ? 'yes' : 'no'}`
    : '  auth        none: no tokens, every stream is readable by anyone who can reach this address (AUTH=jwt to require tokens)');
  if (app.orders) console.log(`  ${app.orders.describe()}`);
  app.started().then(
    () => console.log(`tickwire: ${app.source ? `market source ${app.source.name} started` : 'started'}; ready: ${app.readiness().ready ? 'yes' : `not yet (${app.readiness().reasons.join('; ')})`} (GET /ready)`),
    () => undefined, // logged by the app; /ready says so
  );
} catch (err) {
  console.error(`tickwire: failed to start: ${(err as Error).message}`);
  await app.stop().catch(() => undefined);
  process.exit(1);
}

exitOnSignals({ app, proc: process });

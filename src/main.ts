/**
 * The composition root: reads the environment, builds the app, starts it, and stops it on SIGINT/SIGTERM
 * (streams stop, clients get close 1001, exit 0 within 5 s). The only module with process-level state.
 */
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { exitOnSignals } from './shutdown.ts';
import { format } from 'node:util';

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  console.error('tickwire: invalid configuration:');
  for (const e of loaded.errors) console.error(`  ${e.message}`);
  process.exit(2);
}
const config = loaded.config;
const app = buildApp(config, { processMetrics: true });
// Every output line is a log record (time, level; one JSON object per line when not on a terminal): the banner and any
// library's console output go through the logger too.
console.log = (...args: unknown[]) => app.logger.info(format(...args));
console.warn = (...args: unknown[]) => app.logger.warn(format(...args));
console.error = (...args: unknown[]) => app.logger.error(format(...args));

try {
  const { port } = await app.start();
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
} catch (err) {
  console.error(`tickwire: failed to start: ${(err as Error).message}`);
  await app.stop().catch(() => undefined);
  process.exit(1);
}

// Logs are written asynchronously: the last lines ("stopped") reach stdout before the process exits (at most 1 s).
const exit = (code: number) => void Promise.race([app.logger.flush(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).finally(() => process.exit(code));
exitOnSignals({ app, proc: { on: (signal, listener) => process.on(signal, listener), exit } });

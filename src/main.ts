/**
 * The composition root: reads the environment, builds the app, starts it, and stops it on SIGINT/SIGTERM
 * (streams stop, clients get close 1001, exit 0 within 5 s). The only module with process-level state.
 */
import { buildApp } from './app.ts';
import { bannerLines } from './banner.ts';
import { changedSettings, loadConfig, unknownVariables } from './config.ts';
import { exitOnSignals } from './shutdown.ts';
import { format } from 'node:util';

const loaded = loadConfig(process.env);
for (const w of unknownVariables(process.env)) console.warn(`tickwire: warning: ${w.message}`);
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
  // The port listens first; the market source, IB connection and strategy warm-up come up behind it (GET /ready).
  const { port } = await app.start({ background: true });
  const facts = { role: app.role, id: app.id, port, orders: app.orders?.describe(), settings: changedSettings(process.env) };
  for (const line of bannerLines(config, { ...facts, market: app.source ? { name: app.source.name, symbols: app.source.symbols() } : undefined })) console.log(line);
  app.started().then(
    () => console.log(`tickwire: ${app.source ? `market source ${app.source.name} started` : 'started'}; ready: ${app.readiness().ready ? 'yes' : `not yet (${app.readiness().reasons.join('; ')})`} (GET /ready)`),
    () => undefined, // logged by the app; /ready says so
  );
} catch (err) {
  console.error(`tickwire: failed to start: ${(err as Error).message}`);
  await app.stop().catch(() => undefined);
  process.exit(1);
}

// Logs are written asynchronously: the last lines ("stopped") reach stdout before the process exits (at most 1 s).
const exit = (code: number) => void Promise.race([app.logger.flush(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).finally(() => process.exit(code));
exitOnSignals({ app, proc: { on: (signal, listener) => process.on(signal, listener), exit } });

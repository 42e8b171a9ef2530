/** Starts a full app on 127.0.0.1:0 with the outbound contract check switched on. */
import { expect } from 'chai';
import { buildApp, type App, type AppOptions } from '../../src/app.ts';
import { defaultConfig, type Config } from '../../src/config.ts';
import { SimulatedSource } from '../../src/market/source-simulated.ts';

export interface TestServer {
  app: App;
  port: number;
  http(path: string): string;
  ws(path: string): string;
  violations: string[];
  logs: string[];
  stop(): Promise<void>;
}

export type ConfigPatch = { [K in keyof Config]?: Config[K] extends object ? Partial<Config[K]> : Config[K] };

export function testConfig(patch: ConfigPatch = {}): Config {
  const base = defaultConfig();
  const out = { ...base, port: 0, host: '127.0.0.1' } as Config;
  for (const [k, v] of Object.entries(patch)) {
    const key = k as keyof Config;
    (out as any)[key] = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...(base as any)[key], ...v } : v;
  }
  return out;
}

/** A fast simulated market: a tick every `tickIntervalMs` of real time. */
export function fastSource(options: { tickIntervalMs?: number; now?: () => number; symbols?: string[] } = {}): SimulatedSource {
  return new SimulatedSource({ tickIntervalMs: options.tickIntervalMs ?? 20, now: options.now, symbols: options.symbols });
}

export async function startServer(patch: ConfigPatch = {}, options: AppOptions = {}): Promise<TestServer> {
  const violations: string[] = [];
  const logs: string[] = [];
  const app = buildApp(testConfig(patch), {
    source: options.source ?? fastSource(),
    log: (l) => logs.push(l),
    onContractViolation: (endpoint, message, problem) => violations.push(`${endpoint}: ${problem} in ${message.slice(0, 300)}`),
    ...options,
  });
  const { port } = await app.start();
  return {
    app,
    port,
    http: (p) => `http://127.0.0.1:${port}${p}`,
    ws: (p) => `ws://127.0.0.1:${port}${p}`,
    violations,
    logs,
    async stop() {
      await app.stop();
      expect(violations, 'outbound messages that break the contract').to.deep.equal([]);
    },
  };
}

/**
 * The startup banner (src/main.ts prints it once the port listens): where to go, derived from the config, so it
 * shows exactly what this process serves — no WebSocket lines when WEBSOCKET_ENABLED=false or on a producer.
 */
import type { Config } from './config.ts';

export interface BannerFacts {
  role: Config['cluster']['role'];
  id: string;
  port: number;
  /** The market source's name and symbols; undefined on an edge (it serves the producer's). */
  market: { name: string; symbols: readonly string[] } | undefined;
  /** The order policy's line (standalone and producer). */
  orders: string | undefined;
  /** NAME=value of every setting that differs from its default (config.ts changedSettings). */
  settings: readonly string[];
}

export function bannerLines(config: Config, facts: BannerFacts): string[] {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `${host}:${facts.port}`;
  const market = facts.market ? `market: ${facts.market.name}, symbols: ${facts.market.symbols.join(', ')}` : 'market: from the producer';
  const websockets = config.websocket.enabled && facts.role !== 'producer';
  const lines = [
    `tickwire ${facts.role} ${facts.id}: listening on http://${base} (${market}${config.cluster.redisUrl ? ', broker: redis' : ''})`,
    `  docs        http://${base}/api/v1/ws/asyncapi   (spec: /api/v1/ws/asyncapi.json)`,
    `  status      http://${base}/websocket/status     health: /health   ready: /ready`,
  ];
  if (facts.role !== 'producer') lines.push(`  dashboard   http://${base}/`);
  if (websockets) {
    lines.push(`  websockets  ws://${base}/api/v1/ws  ws://${base}/ws  ws://${base}/api/ws/stream/backtest/{id}`);
    lines.push(`              ws://${base}/api/ws/stream/live-trading?symbols=AAPL  ws://${base}/api/ws/stream/market-data/{symbol}`);
  } else if (facts.role !== 'producer') {
    lines.push('  websockets  off (WEBSOCKET_ENABLED=false)');
  }
  const auth = config.auth;
  lines.push(auth.mode === 'jwt'
    ? `  auth        jwt (${auth.secret ? 'HS256 secret' : `JWKS ${auth.jwksUrl}`}${auth.audience ? `, aud ${auth.audience}` : ''}${auth.issuer ? `, iss ${auth.issuer}` : ''}); anonymous market data: ${auth.anonymousMarketData ? 'yes' : 'no'}`
    : '  auth        none: no tokens, every stream is readable by anyone who can reach this address (AUTH=jwt to require tokens)');
  if (facts.orders) lines.push(`  ${facts.orders}`);
  lines.push(`  settings    ${facts.settings.length ? facts.settings.join(' ') : 'all defaults'} (README "Configuration")`);
  return lines;
}

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import YAML from 'yaml';
import * as H from '../../generated/http-validators.js';
import { repoRoot } from '../support/spec.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { waitUntil } from '../support/wait.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/**
 * openapi.yaml against the running gateway: every response below must be declared (status) and match its schema
 * in the bundled generated/openapi.json; the generated request validator agrees with the server on bodies.
 */
describe('HTTP API matches openapi.yaml', function () {
  this.timeout(60_000);
  const doc: Json = JSON.parse(readFileSync(path.join(repoRoot, 'generated', 'openapi.json'), 'utf8'));
  const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
  ajv.addSchema(doc, 'openapi');
  let server: TestServer;
  const checked = new Set<string>();

  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });

  const resolve = (x: Json): Json => {
    while (x?.$ref) {
      const [kind, name] = String(x.$ref).replace('#/components/', '').split('/');
      x = doc.components[kind!][name!];
    }
    return x;
  };

  /** Calls the gateway and checks the response against the operation `method route` of the document. */
  async function call(method: 'GET' | 'POST', route: string, url: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const res = await fetch(server.http(url), { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json();
    const op = doc.paths[route]?.[method.toLowerCase()];
    expect(op, `${method} ${route} in openapi.yaml`).to.be.an('object');
    const declared = resolve(op.responses[String(res.status)]);
    expect(declared, `${method} ${route} ${res.status} declared in openapi.yaml: ${JSON.stringify(json)}`).to.be.an('object');
    const pointer = `openapi#/paths/${encodeURIComponent(route.replace(/~/g, '~0').replace(/\//g, '~1'))}/${method.toLowerCase()}/responses/${res.status}`;
    const schema = declared.content['application/json'].schema;
    const validate = schema.$ref ? ajv.getSchema(`openapi${schema.$ref}`) : ajv.getSchema(`${pointer}/content/application~1json/schema`);
    expect(validate, `a schema for ${method} ${route} ${res.status}`).to.be.a('function');
    expect(validate!(json), `${method} ${url} ${res.status}: ${ajv.errorsText(validate!.errors)}\n${JSON.stringify(json).slice(0, 500)}`).to.equal(true);
    checked.add(`${method} ${route}`);
    return { status: res.status, json };
  }

  const body = { name: 'demo', symbol: 'AAPL', timeframes: ['1'], start_date: '2024-01-02', end_date: '2024-01-03', strategy_ids: ['ma_crossover'] };

  it('health, readiness and WebSocket status', async () => {
    expect((await call('GET', '/health', '/health')).status).to.equal(200);
    expect((await call('GET', '/ready', '/ready')).json).to.deep.equal({ ready: true, reasons: [] });
    expect((await call('GET', '/websocket/status', '/websocket/status')).status).to.equal(200);
  });

  it('a backtest: started (202), described while running and once completed (200), unknown (404)', async () => {
    expect(H.validateBacktestStartRequest(body), 'the generated request validator accepts the body').to.equal(true);
    const started = await call('POST', '/api/backtesting/start', '/api/backtesting/start?stream=false', body);
    expect(started.status).to.equal(202);
    const id = started.json.backtest_id as string;
    await call('GET', '/api/backtesting/{backtest_id}', `/api/backtesting/${id}`);
    await waitUntil(async () => (await (await fetch(server.http(`/api/backtesting/${id}`))).json()).status === 'completed', 'the run to complete', 30_000);
    const done = await call('GET', '/api/backtesting/{backtest_id}', `/api/backtesting/${id}`);
    expect(done.json.result, 'a completed run has its result').to.be.an('object');
    expect((await call('GET', '/api/backtesting/{backtest_id}', '/api/backtesting/bt_missing')).status).to.equal(404);
  });

  // The generated validator and the server refuse the same bodies, naming the same field.
  const bad: Array<{ name: string; body: Json; field: string }> = [
    { name: 'unknown field', body: { ...body, leverage: 2 }, field: 'leverage' },
    { name: 'missing name', body: { ...body, name: undefined }, field: 'name' },
    { name: 'unknown timeframe', body: { ...body, timeframes: ['1', '2h'] }, field: 'timeframes[1]' },
    { name: 'unknown strategy', body: { ...body, strategy_ids: ['magic'] }, field: 'strategy_ids[0]' },
    { name: 'fee out of range', body: { ...body, fee_bps: 5000 }, field: 'fee_bps' },
    { name: 'bad symbol', body: { ...body, symbol: 'aapl' }, field: 'symbol' },
  ];
  const fieldOf = (errors: Json[]): string => {
    const e = errors[0];
    const parts = String(e.instancePath).split('/').slice(1);
    if (e.keyword === 'required') parts.push(e.params.missingProperty);
    if (e.keyword === 'additionalProperties') parts.push(e.params.additionalProperty);
    return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i ? `.${p}` : p)).join('');
  };
  for (const c of bad) {
    it(`400 INVALID_BODY, and the generated validator agrees: ${c.name}`, async () => {
      const sent = JSON.parse(JSON.stringify(c.body));
      const res = await call('POST', '/api/backtesting/start', '/api/backtesting/start', sent);
      expect(res.status).to.equal(400);
      expect(res.json.error).to.include({ code: 'INVALID_BODY', field: c.field });
      expect(H.validateBacktestStartRequest(sent)).to.equal(false);
      expect(fieldOf(H.validateBacktestStartRequest.errors as Json[])).to.equal(c.field);
    });
  }

  it('the document and its rendered docs are served', async () => {
    const served = await (await fetch(server.http('/openapi.json'))).json();
    expect(served).to.deep.equal(doc);
    const html = await (await fetch(server.http('/api/docs'))).text();
    expect(html).to.contain('Tickwire HTTP API').and.to.contain('/api/backtesting/start');
  });

  it('references the WebSocket contract for shared shapes instead of copying them', () => {
    const source = YAML.parse(readFileSync(path.join(repoRoot, 'openapi.yaml'), 'utf8'));
    const asyncapi = YAML.parse(readFileSync(path.join(repoRoot, 'asyncapi.yaml'), 'utf8'));
    const own = Object.keys(source.components.schemas);
    expect(own.filter((n) => n in asyncapi.components.schemas), 'schemas defined in both documents').to.deep.equal([]);
    expect(JSON.stringify(source)).to.contain('./asyncapi.yaml#/components/schemas/BacktestMetrics');
    expect(doc.components.schemas.BacktestMetrics).to.deep.equal(asyncapi.components.schemas.BacktestMetrics);
  });

  it('every operation of the document was checked above, except routes this build does not serve yet', async () => {
    const all = Object.entries<Json>(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    // Listing, cancel and trades paging are described for the backtest hardening work; until they are served with
    // that shape, they answer 404 NOT_FOUND (or the older {backtests} list) and are reported here, not hidden.
    const pending: string[] = [];
    for (const op of all.filter((o) => !checked.has(o))) {
      const [method, route] = op.split(' ') as [string, string];
      const url = route.replace('{backtest_id}', 'bt_missing');
      const res = await fetch(server.http(url), { method });
      const json = await res.json();
      if ((res.status === 404 && json.error?.code === 'NOT_FOUND') || (res.status === 200 && 'backtests' in json)) { pending.push(op); continue; }
      await call(method as 'GET' | 'POST', route, url);
    }
    expect(all.filter((o) => !checked.has(o) && !pending.includes(o)), 'unchecked operations').to.deep.equal([]);
    if (pending.length) console.log(`      (not served yet in this build: ${pending.join(', ')})`);
  });
});

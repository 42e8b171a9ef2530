import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { createRequire } from 'node:module';
import { compareContracts, loadContract, openapiChanges, type ContractReport, type LoadedContract } from '../../contract/compat.ts';
import { latestReleased } from '../../contract/diff.ts';
import { repoRoot, type RawSpec } from '../support/spec.ts';

const run = promisify(execFile);

/**
 * Table: an edit of the released contract, and how contract:diff must classify it. `where` must match the `where`
 * of a breaking (or, for compatible edits, any) reported change, so a case cannot pass by reporting nothing.
 */
interface Case {
  name: string;
  edit: (s: RawSpec) => void;
  want: 'compatible' | 'breaking';
  where?: RegExp;
}

const schema = (s: RawSpec, name: string): RawSpec => s.components.schemas[name];
/** The released base's version with its minor (or major) raised: the edits are compared with the latest release. */
const raised = (s: RawSpec, part: 'major' | 'minor'): string => {
  const [major, minor] = String(s.info.version).split('.').map(Number) as [number, number];
  return part === 'major' ? `${major + 1}.0.0` : `${major}.${minor + 1}.0`;
};
const bumpMinor = (s: RawSpec): void => { s.info.version = raised(s, 'minor'); };

const cases: Case[] = [
  // ---- compatible
  { name: 'new optional field in a server message', want: 'compatible', where: /message barsUpdate \/payload\/vwap/,
    edit: (s) => { schema(s, 'Bar').properties.vwap = { type: 'number' }; } },
  { name: 'new always-present field in a server message', want: 'compatible', where: /message signal \/rank/,
    edit: (s) => { schema(s, 'SignalMessage').properties.rank = { type: 'integer' }; schema(s, 'SignalMessage').required.push('rank'); } },
  { name: 'optional server field becomes always present', want: 'compatible', where: /message signal \/strategy_id/,
    edit: (s) => { schema(s, 'SignalMessage').required.push('strategy_id'); } },
  { name: 'new optional field in a client request', want: 'compatible', where: /message barsSubscribe \/payload\/limit/,
    edit: (s) => { schema(s, 'BarsSubscribeRequest').properties.limit = { type: 'integer', minimum: 1 }; } },
  { name: 'required request field becomes optional', want: 'compatible', where: /message auth \/token/,
    edit: (s) => { schema(s, 'AuthMessage').required = ['type']; } },
  { name: 'request field accepts more (longer maximum)', want: 'compatible', where: /message dashboardSubscribe \/streams\/\[\]/,
    edit: (s) => { schema(s, 'DashboardSubscribeMessage').properties.streams.items.maxLength = 64; } },
  { name: 'server field sends less (a minimum added)', want: 'compatible', where: /message tradeExecuted \/commission/,
    edit: (s) => { schema(s, 'TradeExecutedMessage').properties.commission.minimum = 0; } },
  { name: 'new error code (ErrorCode is an open enum)', want: 'compatible', where: /message operationError \/payload\/code/,
    edit: (s) => { schema(s, 'ErrorCode').enum.push('RATE_LIMITED'); s['x-tickwire-error-codes'].RATE_LIMITED = 'too many requests'; } },
  { name: 'new message type the server sends', want: 'compatible', where: /^\/channels\/dashboard\/messages\/news$/,
    edit: (s) => {
      s.components.schemas.NewsMessage = { type: 'object', required: ['type', 'headline'], properties: { type: { type: 'string', const: 'news' }, headline: { type: 'string' } } };
      s.components.messages.news = { name: 'news', payload: { $ref: '#/components/schemas/NewsMessage' } };
      s.channels.dashboard.messages.news = { $ref: '#/components/messages/news' };
      s.operations.dashboardPush.messages.push({ $ref: '#/channels/dashboard/messages/news' });
    } },
  { name: 'new channel', want: 'compatible', where: /^\/channels\/extra$/,
    edit: (s) => { s.channels.extra = { address: '/api/ws/extra', messages: { streamPing: { $ref: '#/components/messages/streamPing' } } }; } },
  { name: 'new optional query parameter', want: 'compatible', where: /channel dashboard query \/properties|channel dashboard query \/compact/,
    edit: (s) => { s.channels.dashboard.bindings.ws.query.properties.compact = { type: 'string', enum: ['0', '1'] }; } },
  { name: 'documentation only, with a minor version', want: 'compatible', where: /^\/info\/version$/,
    edit: (s) => { s.info.description += '\nMore words.'; schema(s, 'Bar').description = 'One candle.'; bumpMinor(s); } },

  // ---- breaking
  { name: 'field removed from a server message', want: 'breaking', where: /message barsUpdate \/payload\/volume/,
    edit: (s) => { delete schema(s, 'Bar').properties.volume; schema(s, 'Bar').required = schema(s, 'Bar').required.filter((f: string) => f !== 'volume'); } },
  { name: 'server field no longer always present', want: 'breaking', where: /message signal \/price/,
    edit: (s) => { schema(s, 'SignalMessage').required = schema(s, 'SignalMessage').required.filter((f: string) => f !== 'price'); } },
  { name: 'server field type widened', want: 'breaking', where: /message barsUpdate \/payload\/open/,
    edit: (s) => { schema(s, 'Bar').properties.open = { type: ['number', 'null'] }; } },
  { name: 'server enum gains a value', want: 'breaking', where: /message signal \/signal_type/,
    edit: (s) => { schema(s, 'SignalType').enum.push('EXIT'); } },
  { name: 'server field range widened', want: 'breaking', where: /message signal \/confidence/,
    edit: (s) => { delete schema(s, 'SignalMessage').properties.confidence.maximum; } },
  { name: 'new required field in a client request', want: 'breaking', where: /message barsSubscribe \/payload\/exchange/,
    edit: (s) => { schema(s, 'BarsSubscribeRequest').properties.exchange = { type: 'string' }; schema(s, 'BarsSubscribeRequest').required.push('exchange'); } },
  { name: 'optional request field becomes required', want: 'breaking', where: /message barsSubscribe \/payload\/resolution/,
    edit: (s) => { schema(s, 'BarsSubscribeRequest').required.push('resolution'); } },
  { name: 'field removed from a client request', want: 'breaking', where: /message dashboardSubscribe \/since/,
    edit: (s) => { delete schema(s, 'DashboardSubscribeMessage').properties.since; } },
  { name: 'request field narrowed (shorter maximum)', want: 'breaking', where: /message barsSubscribe \/payload\/since\/epoch/,
    edit: (s) => { schema(s, 'StreamPosition').properties.epoch.maxLength = 16; } },
  { name: 'request enum loses a value', want: 'breaking', where: /message barsSubscribe \/payload\/resolution/,
    edit: (s) => { schema(s, 'Resolution').enum = ['1', '5', '15', '30', '60']; } },
  { name: 'shared enum gains a value (a server message uses it too)', want: 'breaking', where: /message marketCandle \/data\/resolution/,
    edit: (s) => { schema(s, 'Resolution').enum.push('240'); } },
  { name: 'request pattern changed (cannot tell)', want: 'breaking', where: /message barsSubscribe \/payload\/symbol/,
    edit: (s) => { schema(s, 'TickerSymbol').pattern = '^[A-Z]{1,10}$'; } },
  { name: 'request field retyped', want: 'breaking', where: /message barsSubscribe \/id/,
    edit: (s) => { s.components.schemas.RequestId = { type: 'integer', minimum: 0 }; } },
  { name: 'channel removed', want: 'breaking', where: /^\/channels\/marketDataStream$|^\/operations\/marketData/,
    edit: (s) => {
      delete s.channels.marketDataStream;
      for (const k of Object.keys(s.operations)) if (k.startsWith('marketData')) delete s.operations[k];
    } },
  { name: 'endpoint address changed', want: 'breaking', where: /^\/channels\/dashboard\/address$/,
    edit: (s) => { s.channels.dashboard.address = '/ws/v2'; } },
  { name: 'client request no longer accepted', want: 'breaking', where: /barsUnsubscribe/,
    edit: (s) => { delete s.channels.operationEndpoint.messages.barsUnsubscribe; delete s.operations.barsUnsubscribe; } },
  { name: 'query parameter removed', want: 'breaking', where: /channel dashboard query \/since/,
    edit: (s) => { delete s.channels.dashboard.bindings.ws.query.properties.since; } },
  { name: 'a breaking change with a minor version only', want: 'breaking', where: /message barsUpdate \/payload\/volume/,
    edit: (s) => { delete schema(s, 'Bar').properties.volume; schema(s, 'Bar').required.pop(); bumpMinor(s); } },
];

describe('contract:diff (breaking-change guard)', function () {
  this.timeout(120_000);
  let baseText: string;
  let base: LoadedContract;
  let baseRaw: RawSpec;

  before(async () => {
    const released = latestReleased();
    expect(released, 'a released contract in contract/released/').to.be.a('string');
    baseText = readFileSync(released!, 'utf8');
    base = await loadContract(baseText);
    baseRaw = YAML.parse(baseText);
  });

  const edited = (edit: (s: RawSpec) => void): string => {
    const s = structuredClone(baseRaw);
    edit(s);
    return YAML.stringify(s);
  };

  for (const c of cases) {
    it(`${c.want}: ${c.name}`, async () => {
      const report: ContractReport = await compareContracts(base, edited(c.edit));
      const describe = (): string => report.changes.map((x) => `${x.kind} ${x.where}: ${x.what}`).join('\n');
      if (c.want === 'compatible') {
        expect(report.breaking, describe()).to.deep.equal([]);
        expect(report.ok).to.equal(true);
        if (c.where) expect(report.changes.some((x) => c.where!.test(x.where)), `a change at ${c.where}\n${describe()}`).to.equal(true);
      } else {
        expect(report.ok, describe()).to.equal(false);
        expect(report.breaking.some((x) => c.where!.test(x.where)), `a breaking change at ${c.where}\n${describe()}`).to.equal(true);
      }
    });
  }

  it('a breaking change passes once the major version is raised (and is still listed)', async () => {
    const report = await compareContracts(base, edited((s) => { delete schema(s, 'Bar').properties.volume; s.info.version = raised(s, 'major'); }));
    expect(report.ok).to.equal(true);
    expect(report.breaking.some((x) => /barsUpdate \/payload\/volume/.test(x.where))).to.equal(true);
  });

  it('a version lower than the released one fails', async () => {
    const report = await compareContracts(base, edited((s) => { s.info.version = '0.9.0'; }));
    expect(report.ok).to.equal(false);
    expect(report.verdict).to.match(/backwards/);
  });

  it('the contract in the tree is compatible with the last released one (what CI enforces)', async () => {
    const report = await compareContracts(base, readFileSync(path.join(repoRoot, 'asyncapi.yaml'), 'utf8'));
    expect(report.ok, report.breaking.map((x) => `${x.kind} ${x.where}: ${x.what}`).join('\n')).to.equal(true);
  });

  it('npm run contract:diff exits 1 on a breaking change and names it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tickwire-diff-'));
    try {
      const spec = path.join(dir, 'asyncapi.yaml');
      await writeFile(spec, edited((s) => { schema(s, 'SignalType').enum.push('EXIT'); }));
      const err = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'contract', 'diff.ts'), '--spec', spec], { cwd: repoRoot })
        .then(() => null, (e: { code: number; stdout: string }) => e);
      expect(err, 'a non-zero exit').to.not.equal(null);
      expect(err!.code).to.equal(1);
      expect(err!.stdout).to.match(/breaking\s+message signal \/signal_type: value\(s\) \["EXIT"\] added/);
      expect(err!.stdout).to.match(/FAIL: 1 breaking change/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // The HTTP API (openapi.yaml, released beside the contract) under the same rules.
  describe('HTTP API (openapi.yaml)', () => {
    const require = createRequire(import.meta.url);
    const { bundleOpenApi } = require(path.join(repoRoot, 'templates', 'tickwire', 'lib', 'gen-openapi.cjs'));
    const releasedOpenapi = (): RawSpec => YAML.parse(readFileSync(latestReleased()!.replace(/\.yaml$/, '.openapi.yaml'), 'utf8'));
    const body = (o: RawSpec): RawSpec => o.components.schemas.BacktestStartRequest;
    const httpCases: Case[] = [
      { name: 'new optional body field', want: 'compatible', where: /POST \/api\/backtesting\/start body \/capital/,
        edit: (o) => { body(o).properties.capital = { type: 'number', minimum: 1 }; } },
      { name: 'new route', want: 'compatible', where: /GET \/api\/backtesting\/\{backtest_id\}\/equity/,
        edit: (o) => { o.paths['/api/backtesting/{backtest_id}/equity'] = { get: { operationId: 'equity', responses: { 200: { description: 'ok' } } } }; } },
      { name: 'new required body field', want: 'breaking', where: /POST \/api\/backtesting\/start body \/account/,
        edit: (o) => { body(o).properties.account = { type: 'string' }; body(o).required.push('account'); } },
      { name: 'query limit narrowed', want: 'breaking', where: /GET \/api\/backtesting parameters \/query:limit/,
        edit: (o) => { o.paths['/api/backtesting'].get.parameters[0].schema.maximum = 50; } },
      { name: 'response field removed', want: 'breaking', where: /POST \/api\/backtesting\/start 202 \/stream_url/,
        edit: (o) => { const s = o.components.schemas.BacktestStartAccepted; delete s.properties.stream_url; s.required = ['backtest_id', 'streaming']; } },
      { name: 'route removed', want: 'breaking', where: /^GET \/health$/,
        edit: (o) => { delete o.paths['/health']; } },
    ];
    for (const c of httpCases) {
      it(`${c.want}: ${c.name}`, () => {
        const old = releasedOpenapi();
        const next = structuredClone(old);
        c.edit(next);
        const changes = openapiChanges(bundleOpenApi(old, baseRaw), bundleOpenApi(next, baseRaw));
        const text = changes.map((x) => `${x.kind} ${x.where}: ${x.what}`).join('\n');
        const hits = changes.filter((x) => c.where!.test(x.where));
        expect(hits.length, `a change at ${c.where}\n${text}`).to.be.greaterThan(0);
        if (c.want === 'compatible') expect(changes.filter((x) => x.kind !== 'compatible'), text).to.deep.equal([]);
        else expect(hits.some((x) => x.kind !== 'compatible'), text).to.equal(true);
      });
    }
    it('the tree\'s openapi.yaml is compatible with the released one', () => {
      const changes = openapiChanges(bundleOpenApi(releasedOpenapi(), baseRaw), bundleOpenApi(YAML.parse(readFileSync(path.join(repoRoot, 'openapi.yaml'), 'utf8')), YAML.parse(readFileSync(path.join(repoRoot, 'asyncapi.yaml'), 'utf8'))));
      expect(changes.filter((x) => x.kind !== 'compatible').map((x) => `${x.where}: ${x.what}`)).to.deep.equal([]);
    });
  });
});

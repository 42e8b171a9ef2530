import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/spec.ts';
import { startServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
// Debian's python3 has python3-websocket (websocket-client) and python3-certifi; a pyenv python3 may not.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/**
 * The client view (generated/asyncapi-client.json) with @asyncapi/generator's own WebSocket client template for
 * Python: generated offline, then driven against a running gateway. What that template cannot express is listed in
 * the README ("Other languages").
 */
describe('client view: @asyncapi/generator Python WebSocket client against the gateway', function () {
  this.timeout(180_000);
  let dir: string;
  let server: TestServer;
  const view = JSON.parse(readFileSync(path.join(repoRoot, 'generated', 'asyncapi-client.json'), 'utf8'));

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tickwire-pyclient-'));
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the client view swaps send/receive and gives each endpoint a server with its full path', () => {
    const server0 = JSON.parse(readFileSync(path.join(repoRoot, 'generated', 'asyncapi.json'), 'utf8'));
    expect(server0.operations.barsSubscribe.action).to.equal('receive');
    expect(view.operations.barsSubscribe.action).to.equal('send');
    expect(view.operations.barsUpdateDelivery.action).to.equal('receive');
    expect(view.servers.operationEndpoint).to.include({ host: 'localhost:8000', protocol: 'ws', pathname: '/api/v1/ws' });
    expect(view.servers.marketDataStream.pathname).to.equal('/api/ws/stream/market-data/{symbol}');
    expect(view.servers.marketDataStream.variables.symbol).to.be.an('object');
    expect(view.channels.operationEndpoint.servers).to.deep.equal([{ $ref: '#/servers/operationEndpoint' }]);
  });

  it('generates a Python client for /api/v1/ws that subscribes and receives bars from the gateway', async () => {
    const { singleEndpointView } = require(path.join(repoRoot, 'templates', 'tickwire', 'lib', 'gen-client-view.cjs'));
    const Generator = require('@asyncapi/generator');
    const out = path.join(dir, 'client');
    const generator = new Generator('core-template-client-websocket-python', out, {
      forceWrite: true,
      templateParams: { server: 'operationEndpoint', customClientName: 'TickwireClient' },
    });
    await generator.generateFromString(JSON.stringify(singleEndpointView(view, 'operationEndpoint')));
    expect(readFileSync(path.join(out, 'client.py'), 'utf8')).to.contain('class TickwireClient');

    await writeFile(path.join(dir, 'drive.py'), `
import json, sys, threading, time
sys.path.insert(0, ${JSON.stringify(out)})
from client import TickwireClient

got = {}
done = threading.Event()
def on_update(raw):
    got.setdefault('update', json.loads(raw))
    if 'reply' in got: done.set()
def on_other(raw):
    m = json.loads(raw)
    if m.get('type') == 'bars.subscribe.response':
        got['reply'] = m
        if 'update' in got: done.set()

client = TickwireClient(url=sys.argv[1])
client.register_bars_update_delivery_handler(on_update, 'type', 'bars.update')
client.register_message_handler(on_other)
client.connect()
deadline = time.time() + 10
while not (client.ws_app and client.ws_app.sock and client.ws_app.sock.connected) and time.time() < deadline:
    time.sleep(0.05)
client.bars_subscribe({'type': 'bars.subscribe', 'id': 'py1', 'payload': {'symbol': 'AAPL', 'resolution': '1'}})
ok = done.wait(20)
client.close()
print('RESULT ' + json.dumps({'ok': ok, 'reply': got.get('reply'), 'update': got.get('update')}))
`);
    const { stdout } = await run(python, [path.join(dir, 'drive.py'), server.ws('/api/v1/ws')], { timeout: 60_000 });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, stdout).to.be.a('string');
    const result = JSON.parse(line!.slice(7));
    expect(result.ok, stdout).to.equal(true);
    expect(result.reply).to.deep.include({ type: 'bars.subscribe.response', id: 'py1' });
    expect(result.reply.payload.topic).to.equal('bars:AAPL:1');
    expect(result.update.type).to.equal('bars.update');
    expect(result.update.topic).to.equal('bars:AAPL:1');
  });
});

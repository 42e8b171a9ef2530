import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/spec.ts';
import { startServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);
// Debian's python3 with python3-websockets (the SDK's one dependency); no network installs.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** The Python SDK (clients/python) against a running gateway: example, coded errors, a dropped connection recovered by seq. */
describe('Python SDK (clients/python) against the gateway', function () {
  this.timeout(120_000);
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startServer();
    dir = await mkdtemp(path.join(tmpdir(), 'tickwire-pysdk-'));
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const env = { ...process.env, PYTHONPATH: path.join(repoRoot, 'clients', 'python') };

  it('the example subscribes, gets UNKNOWN_SYMBOL as an exception value and prints updates', async () => {
    const { stdout } = await run(python, [path.join(repoRoot, 'clients', 'python', 'example.py'), server.http(''), '2'], { env, timeout: 60_000 });
    expect(stdout).to.match(/^subscribed bars:AAPL:1 as of \{'epoch': '[^']+', 'offset': \d+\}$/m);
    expect(stdout).to.match(/^refused: UNKNOWN_SYMBOL$/m);
    expect(stdout.split('\n').filter((l) => /^bars:AAPL:1 (None|\d+) [\d.]+$/.test(l))).to.have.length(2);
  });

  it('takes a subscribe reply\'s position before the updates that follow it (no false gap, nothing handed on twice)', async () => {
    // A stand-in server sends the reply and the next two updates back to back, so the SDK reads all three before
    // subscribe() resumes. The position must come from the reply as it is read: set later, it would move the offset
    // back to the reply's, see the next update as a gap, resubscribe and hand 2 and 3 on again.
    await writeFile(path.join(dir, 'order.py'), `
import asyncio, json, sys
import websockets
from tickwire import TickwireClient

EPOCH = "e1"
resubscribes = []

def update(seq):
    return json.dumps({"type": "bars.update", "topic": "bars:AAPL:1", "seq": seq, "payload": {"time": seq, "open": 1, "high": 1, "low": 1, "close": 1, "volume": 1}})

def reply(rid, offset, recovered):
    return json.dumps({"type": "bars.subscribe.response", "id": rid, "payload": {"status": "ok", "message": "ok", "topic": "bars:AAPL:1", "asOf": {"epoch": EPOCH, "offset": offset}, "recovered": recovered}})

async def handler(ws, path=None):
    async for raw in ws:
        m = json.loads(raw)
        if m.get("type") != "bars.subscribe":
            continue
        since = m["payload"].get("since")
        if since is None:
            await ws.send(reply(m["id"], 1, False))
            await ws.send(update(2))
            await ws.send(update(3))
            await asyncio.sleep(0.2)
            await ws.send(update(4))
        else:
            resubscribes.append(since)
            await ws.send(reply(m["id"], 4, True))
            for seq in range(since["offset"] + 1, 5):
                await ws.send(update(seq))

async def main():
    server = await websockets.serve(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = TickwireClient(f"http://127.0.0.1:{port}", "/api/v1/ws", backoff=(0.05, 0.2))
    seqs = []
    client.on("bars.update", lambda m: seqs.append(m["seq"]))
    await client.connect()
    await client.subscribe("AAPL", "1")
    for _ in range(100):
        if len(seqs) >= 3 and 4 in seqs:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    await client.close()
    server.close()
    print("RESULT " + json.dumps({"seqs": seqs, "resubscribes": resubscribes, "position": client.positions().get("bars:AAPL:1")}))

asyncio.run(asyncio.wait_for(main(), 30))
`);
    const { stdout } = await run(python, [path.join(dir, 'order.py')], { env, timeout: 60_000 });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, stdout).to.be.a('string');
    const result = JSON.parse(line!.slice(7)) as { seqs: number[]; resubscribes: unknown[]; position: unknown };
    expect(result.seqs).to.deep.equal([2, 3, 4]);
    expect(result.resubscribes, 'no resubscribe: there was no gap').to.deep.equal([]);
    expect(result.position).to.deep.equal({ epoch: 'e1', offset: 4 });
  });

  it('after a dropped connection it reconnects, resubscribes with since and recovers every seq exactly once, in order', async () => {
    await writeFile(path.join(dir, 'drop.py'), `
import asyncio, json, sys
from tickwire import TickwireClient, TickwireError, models

async def main():
    client = TickwireClient(sys.argv[1], "/api/v1/ws", backoff=(0.05, 0.2))
    seqs, recoveries = [], []
    client.on("bars.update", lambda m: seqs.append(m["seq"]) if "seq" in m else None)
    client.on_recovery(lambda e: recoveries.append(e))
    await client.connect()
    await client.subscribe("AAPL", "1")
    while len(seqs) < 3:
        await asyncio.sleep(0.02)
    await client._ws.close(code=4000)        # as if the server ended the connection (reconnectable)
    while not recoveries or len(seqs) < 8:
        await asyncio.sleep(0.02)
    await client.close()
    print("RESULT " + json.dumps({"seqs": seqs, "recoveries": recoveries, "codes": len(models.ERROR_CODES)}))

asyncio.run(asyncio.wait_for(main(), 40))
`);
    const { stdout } = await run(python, [path.join(dir, 'drop.py'), server.http('')], { env, timeout: 60_000 });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, stdout).to.be.a('string');
    const result = JSON.parse(line!.slice(7)) as { seqs: number[]; recoveries: Array<{ topic: string; recovered: boolean }>; codes: number };
    expect(result.recoveries[0]).to.include({ topic: 'bars:AAPL:1', recovered: true });
    const s = result.seqs;
    for (let i = 1; i < s.length; i++) expect(s[i], `seq after ${s[i - 1]} in ${s.join(',')}`).to.equal(s[i - 1]! + 1);
    expect(result.codes).to.be.greaterThan(10);
  });
});

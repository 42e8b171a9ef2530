import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/spec.ts';
import { startServer, type TestServer } from '../support/server.ts';

const run = promisify(execFile);
const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * @tickwire/client as a client team gets it: packed with `npm pack`, installed from the tarball into a fresh
 * project (offline; `ws` from this repository's node_modules), type-checked with the settings `tsc --init` writes,
 * and run against a real gateway. Async child processes only: the gateway runs in this process.
 */
describe('@tickwire/client package (clients/ts)', function () {
  this.timeout(180_000);
  let dir: string;
  let server: TestServer;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tickwire-consumer-'));
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is built from the current sources (npm run build:client -- --check)', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'clients', 'ts', 'build.ts'), '--check'], { cwd: repoRoot });
    expect(stdout).to.match(/matches its sources/);
  });

  it('packs only its compiled files, with no dependencies but an optional ws peer', async () => {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: path.join(repoRoot, 'clients', 'ts') });
    const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path);
    expect(files).to.include.members(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/node.d.ts']);
    expect(files.filter((f) => !f.startsWith('dist/') && f !== 'package.json' && f !== 'README.md'), 'files outside dist/').to.deep.equal([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'TypeScript sources').to.deep.equal([]);
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'clients', 'ts', 'package.json'), 'utf8'));
    expect(pkg.name).to.equal('@tickwire/client');
    expect(pkg.type).to.equal('module');
    expect(pkg.dependencies ?? {}).to.deep.equal({});
    expect(Object.keys(pkg.peerDependencies)).to.deep.equal(['ws']);
    expect(pkg.peerDependenciesMeta.ws.optional).to.equal(true);
    expect(pkg.exports['.'].node.default).to.equal('./dist/node.js');
    expect(pkg.exports['.'].browser).to.equal('./dist/index.js');
    // The browser build never loads ws.
    expect(await readFile(path.join(repoRoot, 'clients', 'ts', 'dist', 'src', 'client', 'client.js'), 'utf8')).to.not.match(/from ['"]ws['"]/);
  });

  it('installs from the tarball into a fresh project, type-checks with tsc --init defaults and talks to a gateway', async () => {
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
    expect(tarball, 'the packed tarball').to.be.a('string');
    const project = path.join(dir, 'consumer');
    await run('mkdir', ['-p', project]);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(dir, tarball!), path.join(repoRoot, 'node_modules', 'ws')], { cwd: project });
    expect((await readdir(path.join(project, 'node_modules'))).filter((n) => !n.startsWith('.')).sort(), 'nothing of the server installed').to.deep.equal(['@tickwire', 'ws']);

    await run(process.execPath, [tsc, '--init'], { cwd: project });
    await writeFile(path.join(project, 'consumer.ts'), [
      "import { connect, TickwireError, type Contract } from '@tickwire/client';",
      `const bars = connect(${JSON.stringify(server.http(''))}, '/api/v1/ws');`,
      'const updated = new Promise<Contract.BarsUpdateMessage>((resolve) => bars.on(\'bars.update\', (m) => resolve(m)));',
      "const reply = await bars.subscribe('bars:AAPL:1');",
      'const update = await updated;',
      "let code = '';",
      "try { await bars.subscribe('bars:ZZZZ:1'); } catch (err) { if (err instanceof TickwireError) code = err.code; }",
      'console.log(JSON.stringify({ topic: reply.payload.topic, asOf: typeof reply.payload.asOf.offset, update: update.topic, close: typeof update.payload.close, code }));',
      'bars.close();',
      '',
    ].join('\n'));
    await run(process.execPath, [tsc, '-p', '.'], { cwd: project });
    const { stdout } = await run(process.execPath, ['consumer.js'], { cwd: project, timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).to.deep.equal({ topic: 'bars:AAPL:1', asOf: 'number', update: 'bars:AAPL:1', close: 'number', code: 'UNKNOWN_SYMBOL' });
  });
});

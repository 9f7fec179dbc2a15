/**
 * `--wait`: a container starts before its database. Against a port where the
 * server appears only after a while (a proxy to the real server, started
 * late), `idem up --wait` retries, says so, then migrates; without it, the
 * refused connection is exit 5 at once.
 */
import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { runCli, TestProject } from '../support/project.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function proxy(port: number, target: URL): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

test('sqlite: --wait takes a number of seconds', async () => {
  const p = await TestProject.create(engines[0]!);
  try {
    const r = await p.cli(['--wait', 'soon', 'up']);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.stderr, /--wait must be a number of seconds/);
  } finally {
    await p.dispose();
  }
});

for (const engine of engines.filter((e) => e.name !== 'sqlite')) {
  test(`${engine.name}: up --wait retries while the server is unreachable, then migrates; without --wait it is exit 5 at once`, async () => {
    const p = await TestProject.create(engine);
    let server: Server | undefined;
    try {
      await p.write({ revision: 'w1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true } });` });
      const real = new URL(p.url);
      const port = await freePort();
      const late = new URL(p.url);
      late.port = String(port);

      const refused = await runCli(['--url', late.toString(), 'up'], p.dir);
      assert.equal(refused.code, EXIT.unavailable, refused.stderr);
      assert.match(refused.stderr, /refused/);

      const running = runCli(['--url', late.toString(), '--wait', '30', '--json', 'up'], p.dir);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      server = await proxy(port, real);
      const r = await running;
      assert.equal(r.code, EXIT.ok, r.stdout + r.stderr);
      assert.ok(r.events.some((e) => e.event === 'warning' && e.code === 'WAITING'), r.stdout);
      assert.deepEqual(await p.recorded(), ['w1']);
    } finally {
      server?.close();
      await p.dispose();
    }
  });
}

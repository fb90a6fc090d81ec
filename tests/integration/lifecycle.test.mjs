// The `annal` process: command line, configuration sources, start-up failures, the data-dir
// lock, signals and graceful shutdown.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { makeTempDir, runAnnal, startAnnal, stopAll, waitFor } from './lib/annal.mjs';
import { newEvent } from './lib/events.mjs';
import { get, post } from './lib/http.mjs';
import { Writers } from './lib/load.mjs';
import { assertLogInvariants, assertWritesSurvived, readAll } from './lib/verify.mjs';

after(stopAll);

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

describe('command line', () => {
  test('--version', async () => {
    const r = await runAnnal(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^annal \d+\.\d+\.\d+/);
  });

  test('serve --help lists the flags', async () => {
    const r = await runAnnal(['serve', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const flag of ['--data-dir', '--host', '--port', '--role', '--replication-port', '--leader',
      '--replication-mode', '--min-acks', '--ack-timeout-ms', '--on-ack-timeout', '--wal-sync',
      '--wal-retention', '--max-query-results', '--cluster-token', '--config']) {
      assert.ok(r.stdout.includes(flag), `help mentions ${flag}`);
    }
  });

  test('no subcommand or an unknown flag is a usage error', async () => {
    assert.equal((await runAnnal([])).code, EXIT_USAGE);
    const r = await runAnnal(['serve', '--no-such-flag']);
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.stderr, /no-such-flag/);
  });

  test('invalid values exit 2 and name their source', async () => {
    const dataDir = await makeTempDir();
    const cases = [
      [['--port', 'abc'], {}, /--port/],
      [['--replication-mode', 'quorum'], {}, /--replication-mode.*quorum/],
      [['--wal-sync', 'sometimes'], {}, /--wal-sync/],
      [['--wal-retention', '12 parsecs'], {}, /--wal-retention/],
      [[], { ALLSOURCE_REPLICATION_MODE: 'eventually' }, /ALLSOURCE_REPLICATION_MODE/],
      [[], { ALLSOURCE_PORT: 'http' }, /ALLSOURCE_PORT/],
      [[], { PORT: '99999' }, /PORT/],
    ];
    for (const [args, env, pattern] of cases) {
      const r = await runAnnal(['serve', '--data-dir', dataDir, ...args], { env });
      assert.equal(r.code, EXIT_USAGE, `${args} ${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });

  test('replication settings that do not fit together are refused, clearly', async () => {
    const dataDir = await makeTempDir();
    for (const [args, env, message] of [
      [['--role', 'follower'], {}, /--role follower needs --leader HOST:PORT/],
      [[], { ALLSOURCE_ROLE: 'follower' }, /--role follower needs --leader HOST:PORT/],
      [['--leader', '127.0.0.1:3910'], {}, /--leader 127.0.0.1:3910 is only for followers/],
    ]) {
      const r = await runAnnal(['serve', '--data-dir', dataDir, '--port', '0', ...args], { env });
      assert.equal(r.code, EXIT_USAGE, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});

describe('configuration sources', () => {
  test('TOML file, env over file, flags over env', async () => {
    const dir = await makeTempDir();
    const fileDir = path.join(dir, 'from-file');
    const envDir = path.join(dir, 'from-env');
    const config = path.join(dir, 'annal.toml');
    await writeFile(config, `data_dir = "${fileDir}"\nhost = "127.0.0.1"\nport = 0\nmax_query_results = 2\n`);

    let s = await startAnnal({ rawArgs: ['--config', config] });
    assert.ok(existsSync(path.join(fileDir, 'LOCK')), 'data dir from the file');
    for (let i = 0; i < 3; i++) assert.equal((await post(s, '/api/v1/events', newEvent({ entity_id: 'cfg' }))).status, 200);
    assert.equal((await get(s, '/api/v1/events/query?entity_id=cfg')).json.count, 2, 'max_query_results from the file');
    assert.equal((await s.stop()).code, 0);

    s = await startAnnal({ rawArgs: ['--config', config], env: { ALLSOURCE_DATA_DIR: envDir } });
    assert.ok(existsSync(path.join(envDir, 'LOCK')), 'ALLSOURCE_DATA_DIR beats the file');
    assert.equal((await s.stop()).code, 0);

    s = await startAnnal({ rawArgs: ['--config', config, '--data-dir', fileDir],
      env: { ALLSOURCE_DATA_DIR: envDir, ANNAL_MAX_QUERY_RESULTS: '1' } });
    assert.equal((await get(s, '/api/v1/events/query?entity_id=cfg')).json.count, 1, 'env beats the file');
    assert.equal((await s.stop()).code, 0);

    s = await startAnnal({ rawArgs: ['--config', config, '--data-dir', fileDir, '--max-query-results', '5'],
      env: { ALLSOURCE_DATA_DIR: envDir, ANNAL_MAX_QUERY_RESULTS: '1' } });
    assert.equal((await get(s, '/api/v1/events/query?entity_id=cfg')).json.count, 3, 'flags beat env');
    assert.equal((await s.stop()).code, 0);
  });

  test('a bad key in the TOML file exits 2 naming the file and key', async () => {
    const dir = await makeTempDir();
    const config = path.join(dir, 'annal.toml');
    await writeFile(config, 'prot = 3900\n');
    const r = await runAnnal(['serve', '--config', config]);
    assert.equal(r.code, EXIT_USAGE);
    assert.ok(r.stderr.includes(config) && r.stderr.includes("'prot'"), r.stderr);
  });
});

describe('start-up failures', () => {
  test('port already taken: clear error, exit 1', async () => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address();
    try {
      const dataDir = await makeTempDir();
      const r = await runAnnal(['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port)]);
      assert.equal(r.code, EXIT_FAILURE, r.stderr);
      assert.ok(r.stderr.includes(String(port)), `the error names the port: ${r.stderr}`);
    } finally {
      blocker.close();
    }
  });

  test('unusable data dir: clear error, exit 1', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const r = await runAnnal(['serve', '--data-dir', path.join(file, 'data'), '--port', '0']);
    assert.equal(r.code, EXIT_FAILURE, r.stderr);
    assert.ok(r.stderr.includes(file), r.stderr);
  });

  test('a second server on the same data dir is refused; the first keeps serving', async () => {
    const first = await startAnnal();
    const r = await runAnnal(['serve', '--data-dir', first.dataDir, '--host', '127.0.0.1', '--port', '0']);
    assert.equal(r.code, EXIT_FAILURE, r.stderr);
    assert.match(r.stderr, /in use by another annal process/);
    assert.ok(r.stderr.includes(String(first.pid)), 'names the holder');
    assert.equal((await get(first, '/health')).status, 200);
    assert.equal((await post(first, '/api/v1/events', newEvent())).status, 200);
    assert.equal((await first.stop()).code, 0);
    // The lock goes with the process, also after SIGKILL.
    const again = await startAnnal({ dataDir: first.dataDir });
    await again.kill();
    const third = await startAnnal({ dataDir: first.dataDir });
    assert.equal((await third.stop()).code, 0);
  });
});

describe('signals', () => {
  test('SIGINT stops cleanly too', async () => {
    const s = await startAnnal();
    assert.equal((await post(s, '/api/v1/events', newEvent())).status, 200);
    const exit = await s.stop({ signal: 'SIGINT' });
    assert.deepEqual(exit, { code: 0, signal: null });
  });

  test('--wal-sync never is loudly labelled', async () => {
    const s = await startAnnal({ args: ['--wal-sync', 'never'] });
    assert.match(s.log, /WARN.*wal-sync never.*WILL LOSE/i);
    assert.equal((await s.stop()).code, 0);
  });

  test('SIGTERM during writes: exit 0, every acknowledged write is there after restart', async () => {
    const s = await startAnnal();
    const writers = new Writers(s, { clients: 8, tag: 'term' }).start();
    await waitFor(() => writers.ackedCount >= 200, { timeoutMs: 60000, what: '200 acknowledged writes' });
    const exit = await s.stop({ signal: 'SIGTERM', timeoutMs: 30000 });
    await writers.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, s.tail());
    assert.match(s.log, /stopped cleanly/);

    const restarted = await startAnnal({ dataDir: s.dataDir });
    const all = await readAll(restarted);
    assertLogInvariants(all);
    assertWritesSurvived(all, writers);
    // A clean shutdown loses nothing it answered, and the log continues where it stopped.
    const next = await post(restarted, '/api/v1/events', newEvent());
    assert.equal(next.json.sequence, all.length + 1);
    assert.equal((await restarted.stop()).code, 0);
  });
});

// Crash safety: SIGKILL the server under concurrent load, restart it on the same data dir, and
// check that every acknowledged event survived with its sequence, that the log is gap-free and
// that no batch was half written. Three kill/restart cycles on one data dir.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { sleep, startAnnal, stopAll, waitFor } from './lib/annal.mjs';
import { Writers } from './lib/load.mjs';
import { assertLogInvariants, assertWritesSurvived, readAll } from './lib/verify.mjs';

after(stopAll);

const CYCLES = 3;
const MIN_ACKS_PER_CYCLE = 300;
const MIN_LOAD_MS = 2000;

test('SIGKILL under load loses no acknowledged write', async () => {
  await crashCycles({});
});

// 1 MiB segments are the smallest the WAL preallocates (docs/format/wal.md): the writer moves
// into zero-filled spare files, so the kills hit a segment with zeros after its last record.
test('SIGKILL while writing into preallocated WAL segments loses no acknowledged write', async () => {
  const SEGMENT = 1 << 20;
  await crashCycles({
    args: ['--wal-segment-bytes', '1MiB'],
    beforeKill: async (server) => {
      const walDir = join(server.dataDir, 'wal');
      await waitFor(() => readdirSync(walDir).filter((f) => f.startsWith('wal-'))
                            .some((f) => statSync(join(walDir, f)).size === SEGMENT), {
        timeoutMs: 120000, what: 'the writer to be in a preallocated segment',
      });
    },
  });
});

async function crashCycles({ args = [], beforeKill = async () => {} }) {
  let server = await startAnnal({ args });
  const dataDir = server.dataDir;
  const allWriters = [];
  let lastMax = 0;

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const writers = new Writers(server, { clients: 8, batchSize: 10, tag: `crash${cycle}` }).start();
    allWriters.push(writers);
    const startedAt = Date.now();
    await waitFor(() => writers.ackedCount >= MIN_ACKS_PER_CYCLE, {
      timeoutMs: 120000, what: `${MIN_ACKS_PER_CYCLE} acknowledged writes in cycle ${cycle}`,
    });
    const remaining = MIN_LOAD_MS - (Date.now() - startedAt);
    if (remaining > 0) await sleep(remaining);
    await beforeKill(server);

    const exit = await server.kill();  // writers are still running: requests are in flight
    assert.equal(exit.signal, 'SIGKILL');
    await writers.stop();
    assert.equal(writers.rejected.length, 0, `errors before the kill: ${JSON.stringify(writers.rejected.slice(0, 3))}`);

    server = await startAnnal({ dataDir, args });
    const all = await readAll(server);
    assertLogInvariants(all);
    for (const w of allWriters) assertWritesSurvived(all, w);
    assert.ok(all.length >= lastMax, 'nothing that survived one restart disappears later');
    console.log(`# cycle ${cycle}: ${writers.ackedCount} acknowledged, ${writers.unknown.length} ` +
                `unanswered requests, ${all.length} events stored`);
    lastMax = all.length;
  }
  assert.equal((await server.stop()).code, 0, server.tail());
}

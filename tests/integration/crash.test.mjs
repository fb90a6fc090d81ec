// Crash safety: SIGKILL the server under concurrent load, restart it on the same data dir, and
// check that every acknowledged event survived with its sequence, that the log is gap-free and
// that no batch was half written. Three kill/restart cycles on one data dir.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { sleep, startAnnal, stopAll, waitFor } from './lib/annal.mjs';
import { Writers } from './lib/load.mjs';
import { assertLogInvariants, assertWritesSurvived, readAll } from './lib/verify.mjs';

after(stopAll);

const CYCLES = 3;
const MIN_ACKS_PER_CYCLE = 300;
const MIN_LOAD_MS = 2000;

test('SIGKILL under load loses no acknowledged write', async () => {
  let server = await startAnnal();
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

    const exit = await server.kill();  // writers are still running: requests are in flight
    assert.equal(exit.signal, 'SIGKILL');
    await writers.stop();
    assert.equal(writers.rejected.length, 0, `errors before the kill: ${JSON.stringify(writers.rejected.slice(0, 3))}`);

    server = await startAnnal({ dataDir });
    const all = await readAll(server);
    assertLogInvariants(all);
    for (const w of allWriters) assertWritesSurvived(all, w);
    assert.ok(all.length >= lastMax, 'nothing that survived one restart disappears later');
    console.log(`# cycle ${cycle}: ${writers.ackedCount} acknowledged, ${writers.unknown.length} ` +
                `unanswered requests, ${all.length} events stored`);
    lastMax = all.length;
  }
  assert.equal((await server.stop()).code, 0, server.tail());
});

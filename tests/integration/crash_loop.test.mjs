// Crash safety with checkpoints: frequent checkpoints (100 ms), tiny WAL segments (so segments
// rotate and checkpointed ones are deleted), concurrent writers (singles and batches), SIGKILL at
// a random moment, restart — several cycles on one data dir. After every restart every
// acknowledged event is there exactly once with its sequence, sequences are 1..N without gaps,
// and the Parquet files DuckDB reads hold exactly LSN 1..checkpoint, once each.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { after, test } from 'node:test';

import { makeTempDir, sleep, startAnnal, stopAll, waitFor } from './lib/annal.mjs';
import { Writers } from './lib/load.mjs';
import {
  comparableEvent, duckRows, EVENT_COLUMNS, eventFromRow, exportEvents, fileList, inspect,
  liveParquetFiles, readNdjson,
} from './lib/storage.mjs';
import { assertLogInvariants, assertWritesSurvived, readAll } from './lib/verify.mjs';

after(stopAll);

const CYCLES = 8;
const MIN_ACKS_PER_CYCLE = 300;
const SERVER_ARGS = ['--checkpoint-interval', '100ms', '--wal-segment-bytes', '64KiB',
  '--wal-retention', '0'];

// Parquet (live files only: a crash may leave files the MANIFEST does not list) holds exactly
// LSN 1..checkpoint, each once, and agrees with the API's events there.
async function checkParquet(dataDir, all) {
  const { code, report, stdout } = await inspect(dataDir);
  assert.equal(code, 0, `inspect after a crash found problems:\n${stdout}`);
  assert.equal(report.summary.events_total, all.length, 'inspect counts what the API serves');
  const checkpoint = report.manifest.checkpoint_lsn ?? 0;
  assert.ok(checkpoint <= all.length);
  if (checkpoint === 0) return 0;
  const files = liveParquetFiles(dataDir, report);
  const [agg] = await duckRows(`SELECT count(*) AS n, count(DISTINCT sequence) AS d, min(sequence) AS lo,
      max(sequence) AS hi FROM read_parquet(${fileList(files)})`);
  assert.equal(Number(agg.n), checkpoint, 'Parquet rows = checkpoint LSN');
  assert.equal(Number(agg.d), checkpoint, 'no sequence twice in Parquet');
  assert.equal(Number(agg.lo), 1);
  assert.equal(Number(agg.hi), checkpoint);
  const rows = await duckRows(`SELECT ${EVENT_COLUMNS} FROM read_parquet(${fileList(files)}) ORDER BY sequence`);
  assert.deepEqual(rows.map(eventFromRow), all.slice(0, checkpoint).map(comparableEvent));
  return checkpoint;
}

test('SIGKILL at random moments with frequent checkpoints loses and duplicates nothing', async () => {
  let server = await startAnnal({ args: SERVER_ARGS });
  const dataDir = server.dataDir;
  const allWriters = [];
  let lastCount = 0;
  let lastCheckpoint = 0;
  let all = [];

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const writers = new Writers(server, { clients: 6, batchSize: 20, batchEvery: 2, tag: `loop${cycle}` }).start();
    allWriters.push(writers);
    await waitFor(() => writers.ackedCount >= MIN_ACKS_PER_CYCLE, {
      timeoutMs: 120000, what: `${MIN_ACKS_PER_CYCLE} acknowledged writes in cycle ${cycle}`,
    });
    // A checkpoint newer than the last cycle's must happen under load (inspect reads the
    // running server's files read-only), so every cycle crashes a store that checkpoints.
    const want = lastCount + 1;
    await waitFor(async () => {
      const { report } = await inspect(dataDir);
      return report && (report.manifest.checkpoint_lsn ?? 0) >= want;
    }, { timeoutMs: 60000, intervalMs: 50, what: `a checkpoint past LSN ${want} in cycle ${cycle}` });
    const delay = randomInt(0, 400);
    await sleep(delay);

    const exit = await server.kill();  // requests and maybe a checkpoint are in flight
    assert.equal(exit.signal, 'SIGKILL');
    await writers.stop();
    assert.equal(writers.rejected.length, 0,
      `errors before the kill: ${JSON.stringify(writers.rejected.slice(0, 3))}`);

    server = await startAnnal({ dataDir, args: SERVER_ARGS });
    all = await readAll(server);
    assertLogInvariants(all);
    for (const w of allWriters) assertWritesSurvived(all, w);
    assert.ok(all.length >= lastCount, 'nothing that survived one restart disappears later');
    lastCount = all.length;

    // Look at the files while no server runs: stop this one by SIGKILL too (its checkpoints
    // race with nothing, since no writes arrive), check, and start again.
    await server.kill();
    const checkpoint = await checkParquet(dataDir, all);
    assert.ok(checkpoint >= lastCheckpoint, 'the checkpoint LSN never goes back');
    lastCheckpoint = checkpoint;
    console.log(`# cycle ${cycle}: killed after ${delay} ms; ${writers.ackedCount} acknowledged, ` +
                `${writers.unknown.length} unanswered; ${all.length} events, checkpoint ${checkpoint}`);
    server = await startAnnal({ dataDir, args: SERVER_ARGS });
  }

  // Finally: a clean stop checkpoints everything, and Parquet alone holds every event once.
  assert.equal((await server.stop()).code, 0, server.tail());
  const checkpoint = await checkParquet(dataDir, all);
  assert.equal(checkpoint, all.length, 'a clean shutdown checkpoints the whole log');
  const out = path.join(await makeTempDir(), 'all.ndjson');
  const r = await exportEvents(dataDir, 'ndjson', out);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await readNdjson(out), all);
});

// Parquet storage end to end (DESIGN.md §4): events written through the HTTP API reach
// <data>/storage/*.parquet by periodic checkpoints and at shutdown, DuckDB (an independent
// Parquet reader) sees exactly what the API serves, a restart continues the sequence, and
// `annal inspect` / `annal export` agree with both.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeTempDir, runAnnal, startAnnal, stopAll } from './lib/annal.mjs';
import { get, post } from './lib/http.mjs';
import { stats } from './lib/stats.mjs';
import {
  comparableEvent, duckRows, EVENT_COLUMNS, eventFromRow, exportEvents, fileList, inspect,
  liveParquetFiles, parquetCodecs, readNdjson, waitForCheckpoint, withLiveFiles,
} from './lib/storage.mjs';
import { assertLogInvariants, readAll } from './lib/verify.mjs';

after(stopAll);

const BATCHES = 30;
const BATCH_SIZE = 100;
const SINGLES = 60;

// Payloads and metadata that stress the JSON round trip: unicode, escapes, nesting, numbers.
function payloadFor(i) {
  const kinds = [
    () => ({ i, text: 'plain' }),
    () => ({ i, unicode: 'zoë — 東京 — 🦆', escapes: 'quote " backslash \\ tab \t newline \n' }),
    () => ({ i, nested: { a: [1, 2, { b: null, c: true }], d: -1.25e-7 }, big: 9007199254740991 }),
    () => ({ i, list: Array.from({ length: 20 }, (_, k) => k * i) }),
    () => ({ i, pad: 'x'.repeat(500 + (i % 300)) }),
  ];
  return kinds[i % kinds.length]();
}

function eventFor(i) {
  const ev = {
    event_type: ['order.placed', 'order.paid', 'user.signed_up'][i % 3],
    entity_id: `entity-${i % 97}`,
    payload: payloadFor(i),
  };
  if (i % 4 === 0) ev.tenant_id = `tenant_${i % 3}`;
  if (i % 5 === 0) ev.metadata = { source: 'storage-test', n: i };
  if (i % 7 === 0) ev.event_id = randomUUID();
  return ev;
}

async function writeEvents(server, from, count, batchSize) {
  for (let i = from; i < from + count; i += batchSize) {
    const events = Array.from({ length: Math.min(batchSize, from + count - i) }, (_, k) => eventFor(i + k));
    const r = events.length === 1
      ? await post(server, '/api/v1/events', events[0])
      : await post(server, '/api/v1/events/batch', { events });
    assert.equal(r.status, 200, r.text);
  }
}

// Every event of `files` in sequence order, as comparable events.
async function duckEvents(files) {
  const rows = await duckRows(`SELECT ${EVENT_COLUMNS} FROM read_parquet(${fileList(files)}) ORDER BY sequence`);
  return rows.map(eventFromRow);
}

describe('Parquet storage', () => {
  let server;
  let dataDir;
  let total = 0;
  let apiEvents;  // the API's view of every event after the first phase

  before(async () => {
    server = await startAnnal({ args: ['--checkpoint-interval', '200ms'] });
    dataDir = server.dataDir;
    await writeEvents(server, 0, BATCHES * BATCH_SIZE, BATCH_SIZE);
    await writeEvents(server, BATCHES * BATCH_SIZE, SINGLES, 1);
    total = BATCHES * BATCH_SIZE + SINGLES;
    assert.equal((await stats(server)).total_events, total);
  });

  test('periodic checkpoints write every event to Parquet files DuckDB reads', async () => {
    await waitForCheckpoint(dataDir, total);
    // The server keeps running (and compacting): see withLiveFiles.
    const [agg] = await withLiveFiles(dataDir, (files) => duckRows(`SELECT count(*) AS n,
        count(DISTINCT sequence) AS distinct_n, sum(sequence) AS s, min(sequence) AS lo, max(sequence) AS hi
        FROM read_parquet(${fileList(files)})`));
    assert.equal(Number(agg.n), total);
    assert.equal(Number(agg.distinct_n), total, 'no sequence twice');
    assert.equal(BigInt(agg.s), BigInt(total) * BigInt(total + 1) / 2n, 'sum(sequence) = 1 + ... + N');
    assert.equal(Number(agg.lo), 1);
    assert.equal(Number(agg.hi), total);
  });

  test('the columns and types of DESIGN.md §4', async () => {
    const cols = await withLiveFiles(dataDir,
      (files) => duckRows(`DESCRIBE SELECT * FROM read_parquet(${fileList(files.slice(0, 1))})`));
    const types = Object.fromEntries(cols.map((c) => [c.column_name, c.column_type]));
    assert.deepEqual(Object.keys(types), ['sequence', 'event_id', 'tenant_id', 'event_type', 'entity_id',
      'timestamp', 'payload', 'metadata', 'version', 'entity_version']);
    assert.equal(types.sequence, 'BIGINT');
    assert.equal(types.timestamp, 'TIMESTAMP WITH TIME ZONE');
    assert.equal(types.payload, 'VARCHAR');
    assert.equal(types.entity_version, 'BIGINT');
  });

  test('random rows equal GET /api/v1/events/{id}', async () => {
    const picks = new Set([1, total]);
    while (picks.size < 40) picks.add(randomInt(1, total + 1));
    const rows = await withLiveFiles(dataDir, (files) => duckRows(`SELECT ${EVENT_COLUMNS}
        FROM read_parquet(${fileList(files)}) WHERE sequence IN (${[...picks].join(',')}) ORDER BY sequence`));
    assert.equal(rows.length, picks.size);
    for (const row of rows) {
      const fromParquet = eventFromRow(row);
      const r = await get(server, `/api/v1/events/${fromParquet.id}`);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(fromParquet, comparableEvent(r.json.event), `sequence ${fromParquet.sequence}`);
    }
  });

  test('every row equals the API view', async () => {
    apiEvents = await readAll(server);
    assert.equal(apiEvents.length, total);
    assertLogInvariants(apiEvents);
    const fromParquet = await withLiveFiles(dataDir, (files) => duckEvents(files));
    assert.deepEqual(fromParquet, apiEvents.map(comparableEvent));
  });

  test('export refuses while the server holds the data dir', async () => {
    const out = path.join(await makeTempDir(), 'events.ndjson');
    const r = await exportEvents(dataDir, 'ndjson', out);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /in use by a running annal server/);
    assert.ok(!existsSync(out));
  });

  test('SIGTERM checkpoints; a restart continues the sequence and serves the same events', async () => {
    assert.equal((await server.stop()).code, 0, server.tail());
    const stopped = await inspect(dataDir);
    assert.equal(stopped.code, 0, stopped.stdout);
    assert.equal(stopped.report.manifest.checkpoint_lsn, total, 'clean shutdown checkpoints everything');
    // Stopped cleanly, the directory holds no orphans: the glob DESIGN.md promises is exact.
    const [glob] = await duckRows(`SELECT count(*) AS n, count(DISTINCT sequence) AS d
        FROM read_parquet('${path.join(dataDir, 'storage', '*.parquet')}')`);
    assert.equal(Number(glob.n), total);
    assert.equal(Number(glob.d), total);

    server = await startAnnal({ dataDir });
    const again = await readAll(server);
    assert.deepEqual(again, apiEvents, 'the same events after a restart from Parquet');
    const r = await post(server, '/api/v1/events', { event_type: 'after.restart', entity_id: 'entity-1', payload: {} });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.sequence, total + 1, 'sequence continues after the checkpoint');
    const prior = apiEvents.filter((e) => e.entity_id === 'entity-1' && e.tenant_id === 'default').length;
    assert.equal(r.json.version, prior + 1, 'entity versions continue too');
    await writeEvents(server, total + 1, 250, 50);
    total += 251;
    const all = await readAll(server);
    assert.equal(all.length, total);
    assertLogInvariants(all);
    apiEvents = all;
    // Stop without a checkpoint of the last writes: they live only in the WAL tail now.
    await server.kill();
  });

  test('inspect: WAL segments, Parquet files, checkpoint and summary agree', async () => {
    const { code, report, stdout } = await inspect(dataDir);
    assert.equal(code, 0, stdout);
    assert.equal(report.summary.ok, true, JSON.stringify(report.summary));
    assert.equal(report.summary.events_total, total);
    assert.equal(report.server_running, false);
    assert.ok(report.manifest.checkpoint_lsn >= total - 251 && report.manifest.checkpoint_lsn <= total);
    const live = report.parquet.files.filter((f) => f.live);
    assert.ok(live.length >= 1);
    let next = 1;
    for (const f of live) {
      assert.equal(f.first_lsn, next, `${f.name} continues the previous file`);
      assert.equal(f.rows, f.last_lsn - f.first_lsn + 1);
      assert.equal(f.verified, true, f.error);
      // inspect names the codec when the Parquet reader reports it; DuckDB reads it from the footer.
      assert.equal(f.compression, 'zstd');
      assert.deepEqual(await parquetCodecs(path.join(dataDir, 'storage', f.name)), ['zstd']);
      assert.ok(f.row_groups >= 1 && f.bytes > 0);
      next = f.last_lsn + 1;
    }
    assert.equal(report.parquet.last_lsn, report.manifest.checkpoint_lsn);
    assert.ok(report.wal.segments.length >= 1);
    for (const s of report.wal.segments) assert.equal(s.crc_ok, true, s.error);
    assert.ok(report.wal.first_lsn <= report.manifest.checkpoint_lsn + 1, 'the WAL continues the Parquet files');
    assert.equal(report.wal.last_lsn, total);
    // The text form says the same.
    const text = await runAnnal(['inspect', dataDir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Summary: ${total.toLocaleString('en-US')} events`));
    assert.match(text.stdout, /OK: no damage/);
  });

  test('export ndjson equals the API view (Parquet + WAL tail, no duplicates)', async () => {
    const out = path.join(await makeTempDir(), 'events.ndjson');
    const r = await exportEvents(dataDir, 'ndjson', out);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\r/, 'no progress display when stderr is not a terminal');
    assert.deepEqual(await readNdjson(out), apiEvents);
  });

  test('export parquet is one file DuckDB reads, equal to the API view', async () => {
    const dir = await makeTempDir();
    for (const codec of ['zstd', 'snappy', 'none']) {
      const out = path.join(dir, `events-${codec}.parquet`);
      const r = await exportEvents(dataDir, 'parquet', out, ['--compression', codec]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await duckEvents([out]), apiEvents.map(comparableEvent), codec);
      assert.deepEqual(await parquetCodecs(out), [codec]);
    }
  });

  test('the exported data dir still starts and holds the same events', async () => {
    server = await startAnnal({ dataDir });
    assert.deepEqual(await readAll(server), apiEvents);
    assert.equal((await server.stop()).code, 0, server.tail());
  });
});

describe('Parquet compression setting', () => {
  test('--parquet-compression snappy writes snappy files', async () => {
    const server = await startAnnal({ args: ['--parquet-compression', 'snappy', '--checkpoint-interval', '0'] });
    await writeEvents(server, 0, 500, 100);
    assert.equal((await server.stop()).code, 0, server.tail());  // the shutdown checkpoint
    const { code, report } = await inspect(server.dataDir);
    assert.equal(code, 0);
    assert.equal(report.manifest.checkpoint_lsn, 500);
    const files = liveParquetFiles(server.dataDir, report);
    for (const f of report.parquet.files) assert.equal(f.compression, 'snappy');
    for (const f of files) assert.deepEqual(await parquetCodecs(f), ['snappy']);
    const [agg] = await duckRows(`SELECT count(*) AS n FROM read_parquet(${fileList(files)})`);
    assert.equal(Number(agg.n), 500);
  });

  test('--checkpoint-interval 0 writes no Parquet file before shutdown', async () => {
    const server = await startAnnal({ args: ['--checkpoint-interval', '0'] });
    await writeEvents(server, 0, 300, 100);
    // Nothing to wait for: with periodic checkpoints off, no checkpoint may happen at all.
    const running = await inspect(server.dataDir);
    assert.equal(running.report.manifest.checkpoint_lsn ?? 0, 0);
    assert.equal(running.report.summary.events_total, 300);
    assert.equal((await server.stop()).code, 0, server.tail());
    assert.equal((await inspect(server.dataDir)).report.manifest.checkpoint_lsn, 300);
  });

  test('serve --help lists the storage flags, not the hidden test knob', async () => {
    const r = await runAnnal(['serve', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const flag of ['--checkpoint-interval', '--parquet-compression', '--compaction-target', '--wal-retention']) {
      assert.ok(r.stdout.includes(flag), `help mentions ${flag}`);
    }
    assert.ok(!r.stdout.includes('--wal-segment-bytes'), 'the test knob stays hidden');
  });

  test('inspect and export usage errors exit 2', async () => {
    for (const args of [['inspect'], ['export', '--data-dir', '/nonexistent'],
      ['export', '--out', 'x', '--format', 'csv'], ['export', '--out', 'x', '--compression', 'lz4'],
      ['export', '--out', '-', '--format', 'parquet']]) {
      const r = await runAnnal(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const missing = await runAnnal(['inspect', '/nonexistent/annal-data']);
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /nonexistent/);
  });

  test('an invalid compression or interval is a usage error', async () => {
    const dataDir = await makeTempDir();
    for (const args of [['--parquet-compression', 'lz4'], ['--checkpoint-interval', '60']]) {
      const r = await runAnnal(['serve', '--data-dir', dataDir, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(args[0]));
    }
  });
});

// Damaged files are never loaded silently: one flipped byte in a Parquet file's page data, in
// its footer, or in the middle of the WAL makes `annal serve` refuse to start with an error that
// names the file (and for the WAL the byte offset), and `annal inspect` reports the same damage.
import assert from 'node:assert/strict';
import { cp, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeTempDir, runAnnal, startAnnal, stopAll } from './lib/annal.mjs';
import { post } from './lib/http.mjs';
import { duckRows, inspect, liveParquetFiles } from './lib/storage.mjs';

after(stopAll);

const EVENTS = 3000;

async function writeEvents(server, count) {
  for (let i = 0; i < count; i += 100) {
    const events = Array.from({ length: 100 }, (_, k) => ({
      event_type: 'corruption.test', entity_id: `e-${(i + k) % 50}`,
      payload: { n: i + k, text: `payload number ${i + k} `.repeat(8) },
    }));
    const r = await post(server, '/api/v1/events/batch', { events });
    assert.equal(r.status, 200, r.text);
  }
}

async function flipByte(file, offset) {
  const fh = await open(file, 'r+');
  try {
    const buf = Buffer.alloc(1);
    await fh.read(buf, 0, 1, offset);
    buf[0] ^= 0xff;
    await fh.write(buf, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

// `annal serve` on `dataDir` must exit by itself, non-zero, with `patterns` in its output.
async function assertRefusesToStart(dataDir, patterns) {
  const r = await runAnnal(['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'],
                           { timeoutMs: 60000 });
  assert.notEqual(r.code, 0, `annal started on a damaged data dir:\n${r.stderr}`);
  assert.equal(r.code, 1, r.stderr);
  for (const p of patterns) assert.match(r.stderr, p);
  return r.stderr;
}

// A copy of `source` in a new temp dir.
async function copyOf(source) {
  const dir = path.join(await makeTempDir('annal-corrupt-'), 'data');
  await cp(source, dir, { recursive: true });
  return dir;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('damaged Parquet files', () => {
  let pristine;      // a stopped data dir whose events are all in Parquet
  let fileName;      // its (first) Parquet file

  before(async () => {
    const server = await startAnnal({ args: ['--checkpoint-interval', '0'] });
    await writeEvents(server, EVENTS);
    assert.equal((await server.stop()).code, 0, server.tail());  // the shutdown checkpoint
    pristine = server.dataDir;
    const { code, report, stdout } = await inspect(pristine);
    assert.equal(code, 0, stdout);
    assert.equal(report.manifest.checkpoint_lsn, EVENTS);
    fileName = path.basename(liveParquetFiles(pristine, report)[0]);
  });

  test('a flipped byte in page data', async () => {
    const dataDir = await copyOf(pristine);
    const file = path.join(dataDir, 'storage', fileName);
    // The middle of the payload column's first data page: page data, not a page header.
    const [chunk] = await duckRows(`SELECT data_page_offset AS off, total_compressed_size AS size
        FROM parquet_metadata('${file}') WHERE path_in_schema = 'payload' ORDER BY row_group_id LIMIT 1`);
    const offset = Number(chunk.off) + Math.floor(Number(chunk.size) / 2);
    await flipByte(file, offset);

    await assertRefusesToStart(dataDir, [new RegExp(escape(fileName))]);
    const { code, report, stdout } = await inspect(dataDir);
    assert.equal(code, 1, stdout);
    assert.equal(report.summary.ok, false);
    const f = report.parquet.files.find((x) => x.name === fileName);
    assert.equal(f.verified, false, JSON.stringify(f));
    assert.match(f.error, new RegExp(escape(fileName)));
    assert.ok(report.summary.problems.some((p) => p.includes(fileName)), stdout);
  });

  test('a flipped byte in the footer', async () => {
    const dataDir = await copyOf(pristine);
    const file = path.join(dataDir, 'storage', fileName);
    const size = (await stat(file)).size;
    // [footer][4-byte footer length][PAR1]: flip a byte inside the footer.
    const fh = await open(file, 'r');
    const tail = Buffer.alloc(8);
    await fh.read(tail, 0, 8, size - 8);
    await fh.close();
    assert.equal(tail.toString('latin1', 4), 'PAR1');
    const footerLength = tail.readUInt32LE(0);
    await flipByte(file, size - 8 - Math.floor(footerLength / 2));

    await assertRefusesToStart(dataDir, [new RegExp(escape(fileName))]);
    const { code, report, stdout } = await inspect(dataDir);
    assert.equal(code, 1, stdout);
    const f = report.parquet.files.find((x) => x.name === fileName);
    assert.equal(f.verified, false, JSON.stringify(f));
    assert.ok(report.summary.problems.some((p) => p.includes(fileName)), stdout);
  });

  test('the undamaged copy still starts', async () => {
    const dataDir = await copyOf(pristine);
    const server = await startAnnal({ dataDir });
    assert.equal((await server.stop()).code, 0, server.tail());
  });
});

describe('damaged WAL', () => {
  test('a flipped byte mid-WAL: refuses to start naming segment and offset', async () => {
    // Periodic checkpoints off and SIGKILL (no shutdown checkpoint): the events live only in the WAL.
    const server = await startAnnal({ args: ['--checkpoint-interval', '0'] });
    await writeEvents(server, 1000);
    await server.kill();
    const dataDir = server.dataDir;
    const before = await inspect(dataDir);
    assert.equal(before.code, 0, before.stdout);
    assert.equal(before.report.manifest.checkpoint_lsn ?? 0, 0);
    const seg = before.report.wal.segments[0];
    const segPath = path.join(dataDir, 'wal', seg.name);
    const flipAt = Math.floor(seg.bytes / 2);
    await flipByte(segPath, flipAt);

    const stderr = await assertRefusesToStart(dataDir, [new RegExp(escape(seg.name)), /offset \d+/]);
    const reported = Number(/offset (\d+)/.exec(stderr.slice(stderr.indexOf(seg.name)))[1]);
    assert.ok(reported <= flipAt && flipAt - reported < 4096,
      `the offset named (${reported}) is the damaged record's, which holds byte ${flipAt}`);

    const { code, report, stdout } = await inspect(dataDir);
    assert.equal(code, 1, stdout);
    const s = report.wal.segments.find((x) => x.name === seg.name);
    assert.equal(s.crc_ok, false);
    assert.equal(s.status, 'failed');
    assert.equal(s.offset, reported, 'inspect names the same offset as the server');
    assert.ok(report.summary.problems.some((p) => p.includes(seg.name) && p.includes(`offset ${reported}`)), stdout);
    // Nothing was modified: the damaged byte is still there for an operator to look at.
    assert.equal((await stat(segPath)).size, seg.bytes);
  });
});

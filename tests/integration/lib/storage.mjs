// Helpers for the storage tests: DuckDB as the independent Parquet reader, `annal inspect` and
// `annal export` runs, and conversions between DuckDB rows and the API's event JSON.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { runAnnal, waitFor } from './annal.mjs';

let duckConnection;

// One in-memory DuckDB per test file. The package is a dependency of the integration tests
// (tests/integration/package.json, installed by `make integration-deps`).
export async function duck() {
  if (duckConnection) return duckConnection;
  let api;
  try {
    api = await import('@duckdb/node-api');
  } catch (e) {
    throw new Error(`@duckdb/node-api is not installed: run \`make integration-deps\` (${e.message})`);
  }
  const instance = await api.DuckDBInstance.create(':memory:');
  duckConnection = await instance.connect();
  return duckConnection;
}

// Runs `sql` and returns the rows as plain objects; BIGINTs come back as decimal strings,
// timestamps as text (select epoch_us(...) for exact comparisons).
export async function duckRows(sql) {
  const c = await duck();
  const reader = await c.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

// A DuckDB list literal of file paths: ['a', 'b'].
export function fileList(paths) {
  assert.ok(paths.length > 0, 'no Parquet files to read');
  return `[${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ')}]`;
}

// The compression codecs of a Parquet file's column chunks as DuckDB reads them from the footer,
// named like Annal's settings: ['zstd'], ['snappy'], ['none'].
export async function parquetCodecs(file) {
  const rows = await duckRows(`SELECT DISTINCT compression FROM parquet_metadata('${file.replaceAll("'", "''")}')`);
  return rows.map((r) => (r.compression.toLowerCase() === 'uncompressed' ? 'none' : r.compression.toLowerCase())).sort();
}

// `annal inspect --json DIR` -> {code, report, stderr}. The report is undefined if stdout is not JSON.
export async function inspect(dataDir) {
  const r = await runAnnal(['inspect', '--json', dataDir], { timeoutMs: 120000 });
  let report;
  try { report = JSON.parse(r.stdout); } catch { report = undefined; }
  return { code: r.code, report, stdout: r.stdout, stderr: r.stderr };
}

// Live Parquet files of a data dir (the MANIFEST's list), as absolute paths, from inspect.
export function liveParquetFiles(dataDir, report) {
  return report.parquet.files.filter((f) => f.live).map((f) => path.join(dataDir, 'storage', f.name));
}

// Runs `fn(files, report)` on the live Parquet files of a data dir whose server may be running.
// Compaction may replace (and delete) a file between inspect listing it and DuckDB opening it;
// then the listing is taken again (bounded by a deadline). Other errors fail at once.
export async function withLiveFiles(dataDir, fn, { timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { report, stdout } = await inspect(dataDir);
    assert.ok(report, `inspect printed no JSON: ${stdout}`);
    try {
      return await fn(liveParquetFiles(dataDir, report), report);
    } catch (e) {
      const vanished = /No files found|No such file|Cannot open file/i.test(String(e.message));
      if (!vanished || Date.now() > deadline) throw e;
    }
  }
}

// Waits until the MANIFEST's checkpoint LSN reaches `lsn` (inspect reads a running server's
// files read-only). Returns the report.
export async function waitForCheckpoint(dataDir, lsn, { timeoutMs = 60000 } = {}) {
  let last;
  return waitFor(async () => {
    const { report } = await inspect(dataDir);
    last = report;
    return report && (report.manifest.checkpoint_lsn ?? 0) >= lsn ? report : false;
  }, { timeoutMs, intervalMs: 100, what: `checkpoint LSN >= ${lsn} in ${dataDir} (last inspect: ` +
       `${last ? JSON.stringify(last.manifest) : 'none'})` });
}

// `annal export` -> {code, stdout, stderr}.
export function exportEvents(dataDir, format, out, extra = []) {
  return runAnnal(['export', '--data-dir', dataDir, '--format', format, '--out', out, ...extra],
                  { timeoutMs: 300000 });
}

export async function readNdjson(file) {
  const text = await readFile(file, 'utf8');
  return text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

// "2026-11-21T14:55:41.626890Z" -> 1795272941626890n (microseconds since the epoch).
export function rfc3339ToMicros(ts) {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(ts);
  assert.ok(m, `not an RFC 3339 UTC timestamp: ${ts}`);
  const seconds = BigInt(Date.parse(`${m[1]}Z`)) / 1000n;
  return seconds * 1000000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

// The SELECT list that turns an event file's columns into what eventFromRow expects.
export const EVENT_COLUMNS = 'sequence, event_id, tenant_id, event_type, entity_id, ' +
  'epoch_us("timestamp") AS timestamp_us, payload, metadata, version, entity_version';

// A DuckDB row (EVENT_COLUMNS) -> the API's event JSON, for deepEqual against the API.
export function eventFromRow(row) {
  return {
    id: row.event_id,
    event_type: row.event_type,
    entity_id: row.entity_id,
    tenant_id: row.tenant_id,
    payload: JSON.parse(row.payload),
    timestamp_us: BigInt(row.timestamp_us),
    metadata: row.metadata === null ? null : JSON.parse(row.metadata),
    version: Number(row.version),
    sequence: Number(row.sequence),
    entity_version: Number(row.entity_version),
  };
}

// The API's event JSON in the comparable form of eventFromRow (timestamp as microseconds).
export function comparableEvent(ev) {
  const { timestamp, ...rest } = ev;
  return { ...rest, timestamp_us: rfc3339ToMicros(timestamp) };
}

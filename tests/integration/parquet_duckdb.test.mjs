// Parquet interoperability with an independent reader and writer (DuckDB, docs/format/parquet.md):
//   (a) DuckDB reads event files written by Annal: counts, sums, column types, every value,
//       statistics;
//   (b) Annal reads files DuckDB writes with our schema types (zstd, snappy, uncompressed,
//       dictionary and plain pages, nulls, several row groups) and gets identical values.
// Uses build/src/storage/parquet/parquet_tool, passed by ctest as ANNAL_PARQUET_TOOL.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DuckDBInstance } from '@duckdb/node-api';

const TOOL = process.env.ANNAL_PARQUET_TOOL;
const dir = mkdtempSync(path.join(tmpdir(), 'annal-parquet-duckdb-'));
let conn;

before(async () => {
  assert.ok(TOOL, 'ANNAL_PARQUET_TOOL must point at the parquet_tool binary');
  const db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sqlString = (s) => `'${s.replaceAll("'", "''")}'`;

async function rows(sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

function tool(...args) {
  return execFileSync(TOOL, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
}

// parquet_tool cat → events keyed the way our SELECT below renders them (numbers as strings).
function catEvents(file) {
  return tool('cat', file).trim().split('\n').map((line) => {
    const e = JSON.parse(line);
    return {
      sequence: String(e.sequence), event_id: e.event_id, tenant_id: e.tenant_id,
      event_type: e.event_type, entity_id: e.entity_id, timestamp: String(e.timestamp),
      payload: e.payload, metadata: e.metadata, version: String(e.version),
      entity_version: String(e.entity_version),
    };
  });
}

// The same columns as DuckDB sees them, integers (and timestamp micros) as decimal strings.
async function duckEvents(file) {
  return rows(`SELECT sequence::VARCHAR AS sequence, event_id, tenant_id, event_type, entity_id,
                      epoch_us(timestamp)::VARCHAR AS timestamp, payload, metadata,
                      version::VARCHAR AS version, entity_version::VARCHAR AS entity_version
               FROM read_parquet(${sqlString(file)}) ORDER BY CAST(sequence AS BIGINT)`);
}

// deepEqual of two long row lists that reports only the first difference.
function assertSameRows(actual, expected) {
  assert.equal(actual.length, expected.length, 'row count');
  for (let i = 0; i < actual.length; ++i) {
    if (JSON.stringify(actual[i]) !== JSON.stringify(expected[i])) {
      assert.deepEqual(actual[i], expected[i], `row ${i} differs`);
    }
  }
}

describe('DuckDB reads event files written by Annal', () => {
  for (const codec of ['zstd', 'snappy', 'none']) {
    test(`${codec}: counts, types, every value, statistics`, async () => {
      const N = 20000;
      const file = path.join(dir, `annal-${codec}.parquet`);
      tool('write-sample', file, String(N), codec, '6000');

      const [agg] = await rows(`SELECT count(*)::VARCHAR AS n, sum(sequence)::VARCHAR AS s,
                                       count(metadata)::VARCHAR AS m
                                FROM read_parquet(${sqlString(file)})`);
      assert.equal(agg.n, String(N));
      assert.equal(agg.s, String((N * (N + 1)) / 2));
      assert.equal(agg.m, String(N - Math.floor(N / 3)));  // metadata is null on every third

      const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`))
        .map((r) => [r.column_name, r.column_type]));
      assert.deepEqual(types, {
        sequence: 'BIGINT', event_id: 'VARCHAR', tenant_id: 'VARCHAR', event_type: 'VARCHAR',
        entity_id: 'VARCHAR', timestamp: 'TIMESTAMP WITH TIME ZONE', payload: 'VARCHAR',
        metadata: 'VARCHAR', version: 'BIGINT', entity_version: 'BIGINT',
      });

      // Every value DuckDB reads equals what our reader reads (and what we wrote).
      const ours = catEvents(file);
      assert.equal(ours.length, N);
      assertSameRows(await duckEvents(file), ours);

      // Footer: 4 row groups, min/max statistics on sequence and timestamp, our key/values.
      const meta = await rows(`SELECT row_group_id::INTEGER AS rg, path_in_schema AS col,
                                      stats_min_value AS lo, stats_max_value AS hi,
                                      compression
                               FROM parquet_metadata(${sqlString(file)})
                               WHERE path_in_schema IN ('sequence', 'timestamp') ORDER BY rg, col`);
      assert.equal(meta.length, 8);
      for (const m of meta) {
        assert.equal(m.compression, codec === 'none' ? 'UNCOMPRESSED' : codec.toUpperCase());
        if (m.col === 'sequence') {
          assert.equal(m.lo, String(m.rg * 6000 + 1));
          assert.equal(m.hi, String(Math.min(N, (m.rg + 1) * 6000)));
        } else {
          assert.ok(m.lo && m.hi, 'timestamp statistics present');
        }
      }
      const kv = await rows(`SELECT decode(key) AS k, decode(value) AS v
                             FROM parquet_kv_metadata(${sqlString(file)})`);
      const kvs = Object.fromEntries(kv.map((r) => [r.k, r.v]));
      assert.equal(kvs['annal.format_version'], '1');
      assert.equal(kvs['annal.first_lsn'], '1');
      assert.equal(kvs['annal.last_lsn'], String(N));

      // A range predicate DuckDB can prune with the statistics gives the right answer.
      const [range] = await rows(`SELECT count(*)::VARCHAR AS n FROM read_parquet(${sqlString(file)})
                                  WHERE sequence BETWEEN 5990 AND 6010`);
      assert.equal(range.n, '21');
    });
  }
});

describe('Annal reads files written by DuckDB', () => {
  // Our schema types built in SQL: BIGINT, VARCHAR (UUID text), TIMESTAMPTZ, nullable metadata,
  // low-cardinality columns (dictionary pages) and unique ones (plain pages), unicode, quotes.
  const N = 130000;  // > 1 DuckDB row group (122,880 rows each)
  const select = `
    SELECT i::BIGINT AS sequence,
           uuid()::VARCHAR AS event_id,
           CASE WHEN i % 7 = 0 THEN 'acme' ELSE 'default' END AS tenant_id,
           ['user.created', 'order.placed', 'payment.captured'][1 + (i % 3)::INTEGER] AS event_type,
           'entité-' || (i % 1000)::VARCHAR AS entity_id,
           make_timestamptz(1700000000000000 + i * 1000) AS timestamp,
           '{"n":' || i::VARCHAR || ',"s":"Zoë \\"q\\" 日本 🎉","big":"' || repeat('x', (i % 50)::INTEGER) || '"}' AS payload,
           CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN '{"src":"api"}' ELSE '' END AS metadata,
           1::BIGINT AS version,
           (i // 1000 + 1)::BIGINT AS entity_version
    FROM range(1, ${N + 1}) t(i)`;

  let source;
  before(async () => {
    source = path.join(dir, 'duck-source.parquet');
    await conn.run(`COPY (${select}) TO ${sqlString(source)} (FORMAT parquet)`);
  });

  for (const codec of ['zstd', 'snappy', 'uncompressed']) {
    test(`COPY ... (FORMAT parquet, COMPRESSION ${codec}) → parquet_tool cat gives identical values`, async () => {
      const file = path.join(dir, `duck-${codec}.parquet`);
      await conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(source)}) ORDER BY sequence)
                      TO ${sqlString(file)} (FORMAT parquet, COMPRESSION ${codec})`);
      const encodings = await rows(`SELECT DISTINCT encodings FROM parquet_metadata(${sqlString(file)})`);
      assert.ok(encodings.some((r) => /DICTIONARY/.test(r.encodings)), 'DuckDB wrote dictionary pages');
      const expected = await duckEvents(file);
      assert.equal(expected.length, N);
      assertSameRows(catEvents(file), expected);
      const info = JSON.parse(tool('info', file));
      assert.equal(info.rows, N);
      assert.equal(info.first_lsn, 1);
      assert.equal(info.last_lsn, N);
      assert.ok(info.row_groups >= 2);
    });
  }

  test('a copy of our own file made by DuckDB reads back identically', async () => {
    const ours = path.join(dir, 'roundtrip-annal.parquet');
    tool('write-sample', ours, '5000', 'zstd');
    const file = path.join(dir, 'roundtrip-duck.parquet');
    await conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(ours)}) ORDER BY sequence)
                    TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
    assertSameRows(catEvents(file), catEvents(ours));
  });

  test('DuckDB PARQUET_VERSION V2 (DELTA encodings) is refused with a clear error', async () => {
    const file = path.join(dir, 'duck-v2.parquet');
    await conn.run(`COPY (SELECT * FROM read_parquet(${sqlString(source)}) LIMIT 1000)
                    TO ${sqlString(file)} (FORMAT parquet, PARQUET_VERSION V2)`);
    const r = spawnSync(TOOL, ['cat', file], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Corruption: .*unsupported encoding DELTA_/);
  });
});

// Every HTTP route of DESIGN.md §6 / API.md (except WebSocket and /internal): shapes and values.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { startAnnal, stopAll } from './lib/annal.mjs';
import { assertEventShape, newEvent, RFC3339_MICROS, uniq, UUID } from './lib/events.mjs';
import { get, post, qs, request } from './lib/http.mjs';
import { stats } from './lib/stats.mjs';

after(stopAll);

// Appends events one at a time and returns the 200 bodies.
async function appendAll(server, events) {
  const out = [];
  for (const e of events) {
    const r = await post(server, '/api/v1/events', e);
    assert.equal(r.status, 200, r.text);
    out.push(r.json);
  }
  return out;
}

async function query(server, params) {
  const r = await get(server, `/api/v1/events/query${qs(params)}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

function havePromtool() {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('a fresh server', () => {
  let server;
  before(async () => { server = await startAnnal(); });

  test('GET /health', async () => {
    const r = await get(server, '/health');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.equal(r.json.status, 'healthy');
    assert.equal(r.json.service, 'annal');
    assert.equal(typeof r.json.version, 'string');
    assert.equal(r.json.role, 'leader');
    assert.equal(r.json.replication, null);
  });

  test('GET /api/v1/stats on an empty store', async () => {
    assert.deepEqual(await stats(server), {
      total_events: 0, total_entities: 0, total_event_types: 0, total_ingested: 0,
    });
  });

  test('POST /api/v1/events: first event gets sequence 1, version 1', async () => {
    const entity = uniq('first');
    const r = await post(server, '/api/v1/events', {
      event_type: 'user.created', entity_id: entity, payload: { name: 'Ada' },
    });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(Object.keys(r.json).sort(), ['event_id', 'sequence', 'timestamp', 'version']);
    assert.match(r.json.event_id, UUID);
    assert.match(r.json.timestamp, RFC3339_MICROS);
    assert.equal(r.json.sequence, 1);
    assert.equal(r.json.version, 1);

    const got = await get(server, `/api/v1/events/${r.json.event_id}`);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.found, true);
    assertEventShape(got.json.event);
    assert.deepEqual(got.json.event, {
      id: r.json.event_id, event_type: 'user.created', entity_id: entity, tenant_id: 'default',
      payload: { name: 'Ada' }, timestamp: r.json.timestamp, metadata: null, version: 1,
      sequence: 1, entity_version: 1,
    });
    assert.equal((await stats(server)).total_events, 1);
  });
});

describe('writes and reads', () => {
  let server;
  before(async () => { server = await startAnnal(); });

  test('sequence is global and gap-free; version counts per entity', async () => {
    const a = uniq('a'), b = uniq('b');
    const res = await appendAll(server, [
      newEvent({ entity_id: a }), newEvent({ entity_id: b }), newEvent({ entity_id: a }),
      newEvent({ entity_id: a }), newEvent({ entity_id: b }),
    ]);
    const first = res[0].sequence;
    assert.deepEqual(res.map((r) => r.sequence), [0, 1, 2, 3, 4].map((i) => first + i));
    assert.deepEqual(res.map((r) => r.version), [1, 1, 2, 3, 2]);
    for (let i = 1; i < res.length; i++) assert.ok(res[i].timestamp >= res[i - 1].timestamp);

    const q = await query(server, { entity_id: a });
    assert.deepEqual(q.events.map((e) => e.entity_version), [1, 2, 3]);
    assert.deepEqual(q.events.map((e) => e.version), [1, 1, 1]);
    assert.deepEqual(q.events.map((e) => e.sequence), [first, first + 2, first + 3]);
  });

  test('tenant_id, metadata and client event_id round-trip', async () => {
    const id = randomUUID();
    const e = newEvent({
      tenant_id: 'acme-corp_1', metadata: { source: 'it', tags: ['x'] }, event_id: id,
      payload: { nested: { deep: [1, 2, { three: true }] }, s: 'héllo ✓', n: -1.5 },
    });
    const r = await post(server, '/api/v1/events', e);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.event_id, id);
    const got = await get(server, `/api/v1/events/${id}`);
    assert.equal(got.status, 200);
    assertEventShape(got.json.event);
    assert.equal(got.json.event.tenant_id, 'acme-corp_1');
    assert.deepEqual(got.json.event.metadata, { source: 'it', tags: ['x'] });
    assert.deepEqual(got.json.event.payload, e.payload);
  });

  test('content type with charset is accepted', async () => {
    const r = await post(server, '/api/v1/events', newEvent(),
      { headers: { 'content-type': 'application/json; charset=utf-8' } });
    assert.equal(r.status, 200, r.text);
  });

  test('GET /api/v1/events/{id} for an unknown id is 404', async () => {
    const r = await get(server, `/api/v1/events/${randomUUID()}`);
    assert.equal(r.status, 404);
    assert.equal(typeof r.json.error, 'string');
    const bad = await get(server, '/api/v1/events/not-a-uuid');
    assert.ok([400, 404].includes(bad.status), `status ${bad.status}`);
    assert.equal(typeof bad.json.error, 'string');
  });

  test('expected_version: success, then 409 with expected/current', async () => {
    const entity = uniq('occ');
    let r = await post(server, '/api/v1/events', newEvent({ entity_id: entity, expected_version: 0 }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, 1);
    r = await post(server, '/api/v1/events', newEvent({ entity_id: entity, expected_version: 1 }));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.version, 2);
    const before = await stats(server);
    r = await post(server, '/api/v1/events', newEvent({ entity_id: entity, expected_version: 1 }));
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.error, 'version_conflict');
    assert.equal(r.json.expected_version, 1);
    assert.equal(r.json.current_version, 2);
    r = await post(server, '/api/v1/events', newEvent({ entity_id: uniq('new'), expected_version: 3 }));
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.current_version, 0);
    assert.deepEqual(await stats(server), before);
  });

  test('POST /api/v1/events/batch is atomic with consecutive sequences', async () => {
    const entity = uniq('batch');
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const r = await post(server, '/api/v1/events/batch', {
      events: ids.map((id, i) => newEvent({ entity_id: entity, event_id: id, payload: { i } })),
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total, 3);
    assert.equal(r.json.ingested, 3);
    assert.equal(r.json.events.length, 3);
    for (const [i, e] of r.json.events.entries()) {
      assert.deepEqual(Object.keys(e).sort(), ['event_id', 'sequence', 'timestamp']);
      assert.equal(e.event_id, ids[i]);
      assert.match(e.timestamp, RFC3339_MICROS);
      assert.equal(e.sequence, r.json.events[0].sequence + i);
    }
    const q = await query(server, { entity_id: entity });
    assert.deepEqual(q.events.map((e) => e.id), ids);
    assert.deepEqual(q.events.map((e) => e.entity_version), [1, 2, 3]);
  });
});

describe('queries', () => {
  let server, entity, written;
  before(async () => {
    server = await startAnnal();
    entity = uniq('q');
    const events = [];
    for (let i = 0; i < 6; i++) {
      events.push(newEvent({
        entity_id: entity,
        event_type: i % 2 ? 'order.shipped' : 'order.created',
        payload: { i, color: i % 3 === 0 ? 'red' : 'blue', n: i % 2 },
      }));
    }
    events.push(newEvent({ entity_id: uniq('other'), event_type: 'invoice.sent', payload: { i: 99 } }));
    written = await appendAll(server, events);
  });

  test('shape, oldest first, count and total_count', async () => {
    const q = await query(server, { entity_id: entity });
    assert.deepEqual(Object.keys(q).filter((k) => k !== 'next_after').sort(),
      ['count', 'events', 'has_more', 'total_count']);
    assert.equal(q.count, 6);
    assert.equal(q.total_count, 6);
    assert.equal(q.has_more, false);
    assert.equal(q.next_after, undefined);
    q.events.forEach(assertEventShape);
    assert.deepEqual(q.events.map((e) => e.sequence), written.slice(0, 6).map((w) => w.sequence));
  });

  test('event_type and event_type_prefix', async () => {
    const t = await query(server, { entity_id: entity, event_type: 'order.shipped' });
    assert.deepEqual(t.events.map((e) => e.payload.i), [1, 3, 5]);
    const p = await query(server, { event_type_prefix: 'order.' });
    assert.ok(p.events.every((e) => e.event_type.startsWith('order.')));
    assert.equal(p.events.filter((e) => e.entity_id === entity).length, 6);
    const inv = await query(server, { event_type_prefix: 'invoice' });
    assert.deepEqual(inv.events.map((e) => e.payload.i), [99]);
    const none = await query(server, { event_type: 'order' });  // exact match only
    assert.equal(none.count, 0);
  });

  test('tenant_id filter', async () => {
    const tenant = uniq('tenant');
    const other = uniq('t-entity');
    await appendAll(server, [newEvent({ tenant_id: tenant, entity_id: other })]);
    const q = await query(server, { tenant_id: tenant });
    assert.equal(q.count, 1);
    assert.equal(q.events[0].tenant_id, tenant);
    assert.equal(q.events[0].entity_id, other);
    const d = await query(server, { tenant_id: 'default', entity_id: entity });
    assert.equal(d.count, 6);
  });

  test('since, until and as_of are inclusive', async () => {
    const ts = written.slice(0, 6).map((w) => w.timestamp);
    const mine = (q) => q.events.map((e) => e.payload.i);
    const expect = (pred) => ts.map((t, i) => [t, i]).filter(([t]) => pred(t)).map(([, i]) => i);

    assert.deepEqual(mine(await query(server, { entity_id: entity, since: ts[2] })), expect((t) => t >= ts[2]));
    assert.deepEqual(mine(await query(server, { entity_id: entity, until: ts[3] })), expect((t) => t <= ts[3]));
    assert.deepEqual(mine(await query(server, { entity_id: entity, as_of: ts[1] })), expect((t) => t <= ts[1]));
    assert.deepEqual(mine(await query(server, { entity_id: entity, since: ts[1], until: ts[4] })),
      expect((t) => t >= ts[1] && t <= ts[4]));
    assert.deepEqual(mine(await query(server, { entity_id: entity, since: ts[4], until: ts[1] })), []);
  });

  test('payload_filter matches top-level keys by JSON value', async () => {
    const red = await query(server, { entity_id: entity, payload_filter: { color: 'red' } });
    assert.deepEqual(red.events.map((e) => e.payload.i), [0, 3]);
    const both = await query(server, { entity_id: entity, payload_filter: { color: 'blue', n: 1 } });
    assert.deepEqual(both.events.map((e) => e.payload.i), [1, 5]);
    const none = await query(server, { entity_id: entity, payload_filter: { color: 'green' } });
    assert.equal(none.count, 0);
    assert.equal(none.total_count, 0);
  });

  test('limit, has_more, next_after and the after cursor page through everything', async () => {
    const pageEntity = uniq('page');
    const res = await appendAll(server, Array.from({ length: 25 }, (_, i) =>
      newEvent({ entity_id: pageEntity, payload: { i } })));
    const seqs = res.map((r) => r.sequence);

    const p1 = await query(server, { entity_id: pageEntity, limit: 10 });
    assert.equal(p1.count, 10);
    assert.equal(p1.total_count, 25);
    assert.equal(p1.has_more, true);
    assert.equal(p1.next_after, seqs[9]);
    const p2 = await query(server, { entity_id: pageEntity, limit: 10, after: p1.next_after });
    assert.equal(p2.count, 10);
    assert.equal(p2.has_more, true);
    assert.equal(p2.next_after, seqs[19]);
    const p3 = await query(server, { entity_id: pageEntity, limit: 10, after: p2.next_after });
    assert.equal(p3.count, 5);
    assert.equal(p3.total_count, 5, 'total_count counts matches after the cursor');
    assert.equal(p3.has_more, false);
    assert.equal(p3.next_after, undefined);
    assert.deepEqual([...p1.events, ...p2.events, ...p3.events].map((e) => e.sequence), seqs);

    const exact = await query(server, { entity_id: pageEntity, limit: 25 });
    assert.equal(exact.count, 25);
    assert.equal(exact.has_more, false);
  });

  test('bad query parameters are 400', async () => {
    for (const params of [{ limit: 'ten' }, { limit: -1 }, { since: 'yesterday' }, { until: '2026-13-45' },
      { as_of: 'x' }, { after: 'abc' }, { payload_filter: 'not json' }, { payload_filter: '[1,2]' }]) {
      const r = await get(server, `/api/v1/events/query${qs(params)}`);
      assert.equal(r.status, 400, `${JSON.stringify(params)} -> ${r.status} ${r.text}`);
      assert.equal(typeof r.json.error, 'string');
    }
  });
});

describe('max-query-results caps unlimited queries', () => {
  let server;
  before(async () => { server = await startAnnal({ args: ['--max-query-results', '3'] }); });

  test('without limit: the first 3 with has_more and next_after', async () => {
    const entity = uniq('cap');
    const res = await appendAll(server, Array.from({ length: 5 }, (_, i) =>
      newEvent({ entity_id: entity, payload: { i } })));
    const q = await query(server, { entity_id: entity });
    assert.equal(q.count, 3);
    assert.equal(q.total_count, 5);
    assert.equal(q.has_more, true);
    assert.equal(q.next_after, res[2].sequence);
    const rest = await query(server, { entity_id: entity, after: q.next_after });
    assert.deepEqual(rest.events.map((e) => e.payload.i), [3, 4]);
    assert.equal(rest.has_more, false);
    const big = await query(server, { entity_id: entity, limit: 100 });
    assert.ok(big.count <= 3, `limit is capped by --max-query-results, got ${big.count}`);
  });
});

describe('entity state', () => {
  let server;
  before(async () => { server = await startAnnal(); });

  test('merges top-level payload keys, last write wins; as_of; history', async () => {
    const entity = `user:42 ${uniq('x')}`;  // needs URL encoding
    const res = await appendAll(server, [
      newEvent({ entity_id: entity, event_type: 'user.created', payload: { name: 'Ada', plan: 'free', n: { a: 1 } } }),
      newEvent({ entity_id: entity, event_type: 'user.upgraded', payload: { plan: 'pro', n: { b: 2 } } }),
      newEvent({ entity_id: entity, event_type: 'user.renamed', payload: { name: 'Ada L.' } }),
    ]);
    const path = `/api/v1/entities/${encodeURIComponent(entity)}/state`;
    const r = await get(server, path);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json).sort(),
      ['as_of', 'current_state', 'entity_id', 'event_count', 'history', 'last_updated']);
    assert.equal(r.json.entity_id, entity);
    assert.equal(r.json.event_count, 3);
    assert.equal(r.json.last_updated, res[2].timestamp);
    assert.deepEqual(r.json.current_state, { name: 'Ada L.', plan: 'pro', n: { b: 2 } });
    assert.equal(r.json.history.length, 3);
    r.json.history.forEach((h, i) => {
      assert.deepEqual(Object.keys(h).sort(), ['event_id', 'payload', 'timestamp', 'type']);
      assert.equal(h.event_id, res[i].event_id);
      assert.equal(h.timestamp, res[i].timestamp);
    });
    assert.deepEqual(r.json.history.map((h) => h.type), ['user.created', 'user.upgraded', 'user.renamed']);

    const past = await get(server, `${path}${qs({ as_of: res[1].timestamp })}`);
    assert.equal(past.status, 200, past.text);
    const expectedCount = res.filter((x) => x.timestamp <= res[1].timestamp).length;
    assert.equal(past.json.event_count, expectedCount);
    if (expectedCount === 2) {
      assert.deepEqual(past.json.current_state, { name: 'Ada', plan: 'pro', n: { b: 2 } });
    }
    assert.ok(past.json.as_of === null || typeof past.json.as_of === 'string');
  });

  test('unknown entity is 404', async () => {
    const r = await get(server, `/api/v1/entities/${uniq('nobody')}/state`);
    assert.equal(r.status, 404);
    assert.equal(typeof r.json.error, 'string');
  });
});

describe('listings, stats and metrics', () => {
  let server;
  before(async () => {
    server = await startAnnal();
    await appendAll(server, [
      newEvent({ entity_id: 'alpha', event_type: 'thing.made' }),
      newEvent({ entity_id: 'alpha', event_type: 'thing.sold' }),
      newEvent({ entity_id: 'beta', event_type: 'thing.made' }),
    ]);
  });

  test('GET /api/v1/entities', async () => {
    const r = await get(server, '/api/v1/entities');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total, 2);
    assert.equal(r.json.has_more, false);
    const byId = Object.fromEntries(r.json.entities.map((e) => [e.entity_id, e]));
    for (const e of r.json.entities) {
      assert.deepEqual(Object.keys(e).sort(), ['entity_id', 'event_count', 'last_event_at', 'last_event_type']);
      assert.match(e.last_event_at, RFC3339_MICROS);
    }
    assert.equal(byId.alpha.event_count, 2);
    assert.equal(byId.alpha.last_event_type, 'thing.sold');
    assert.equal(byId.beta.event_count, 1);

    const page = await get(server, `/api/v1/entities${qs({ limit: 1 })}`);
    assert.equal(page.json.entities.length, 1);
    assert.equal(page.json.total, 2);
    assert.equal(page.json.has_more, true);
    const page2 = await get(server, `/api/v1/entities${qs({ limit: 1, offset: 1 })}`);
    assert.equal(page2.json.entities.length, 1);
    assert.equal(page2.json.has_more, false);
    assert.notEqual(page2.json.entities[0].entity_id, page.json.entities[0].entity_id);

    const sold = await get(server, `/api/v1/entities${qs({ event_type_prefix: 'thing.sold' })}`);
    assert.deepEqual(sold.json.entities.map((e) => e.entity_id), ['alpha']);
  });

  test('GET /api/v1/streams', async () => {
    const r = await get(server, '/api/v1/streams');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total, 2);
    const byId = Object.fromEntries(r.json.streams.map((s) => [s.stream_id, s]));
    assert.equal(byId.alpha.event_count, 2);
    assert.equal(byId.beta.event_count, 1);
    for (const s of r.json.streams) assert.match(s.last_event_at, RFC3339_MICROS);
  });

  test('GET /api/v1/event-types', async () => {
    const r = await get(server, '/api/v1/event-types');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total, 2);
    const byType = Object.fromEntries(r.json.event_types.map((t) => [t.event_type, t]));
    assert.equal(byType['thing.made'].event_count, 2);
    assert.equal(byType['thing.sold'].event_count, 1);
    for (const t of r.json.event_types) assert.match(t.last_event_at, RFC3339_MICROS);
  });

  test('GET /api/v1/stats', async () => {
    assert.deepEqual(await stats(server), {
      total_events: 3, total_entities: 2, total_event_types: 2, total_ingested: 3,
    });
  });

  test('GET /metrics: allsource_ families, counts, promtool', async () => {
    await get(server, `/api/v1/events/query${qs({ entity_id: 'alpha' })}`);
    const r = await get(server, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain/);
    for (const family of ['allsource_events_ingested_total', 'allsource_ingestion_duration_seconds',
      'allsource_queries_total', 'allsource_query_duration_seconds', 'allsource_storage_events_total',
      'annal_wal_fsync_seconds', 'annal_wal_group_size', 'annal_http_requests_total']) {
      assert.match(r.text, new RegExp(`^# TYPE ${family} `, 'm'), `missing family ${family}`);
    }
    const m = /^allsource_events_ingested_total(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(r.text);
    assert.ok(m, 'allsource_events_ingested_total sample');
    assert.equal(Number(m[1]), 3);

    if (!havePromtool()) {
      console.log('# promtool not installed: skipping `promtool check metrics`');
      return;
    }
    const out = spawnSync('promtool', ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
    assert.equal(out.status, 0, `promtool check metrics:\n${out.stdout}${out.stderr}`);
  });

  test('unknown route is 404 JSON', async () => {
    const r = await request(server, 'GET', '/api/v1/nope');
    assert.equal(r.status, 404);
    assert.equal(typeof r.json?.error, 'string');
  });
});

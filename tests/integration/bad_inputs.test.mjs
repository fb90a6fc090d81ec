// Bad inputs get the right status and change nothing (DESIGN.md §6: never a crash, never a
// hang, never a partial write). Every rejection is checked against /api/v1/stats before/after.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { startAnnal, stopAll } from './lib/annal.mjs';
import { newEvent, uniq } from './lib/events.mjs';
import { get, post, rawExchange, request, statusOf } from './lib/http.mjs';
import { assertNothingWritten, stats } from './lib/stats.mjs';

after(stopAll);

describe('rejected writes', () => {
  let server;
  before(async () => {
    server = await startAnnal();
    // Some data, so "nothing changed" is checked against a non-empty store.
    const r = await post(server, '/api/v1/events', newEvent({ entity_id: 'seed' }));
    assert.equal(r.status, 200, r.text);
  });

  async function expectRejected(path, body, status, { raw = false, headers } = {}) {
    return assertNothingWritten(server, async () => {
      const r = await request(server, 'POST', path, { body, raw, headers });
      assert.equal(r.status, status, `${path} ${raw ? body : JSON.stringify(body)}`.slice(0, 300) +
        ` -> ${r.status} ${r.text.slice(0, 300)}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(typeof r.json?.error, 'string', `error body: ${r.text.slice(0, 300)}`);
      return r;
    });
  }

  test('malformed JSON is 400', async () => {
    for (const body of ['{"event_type": ', '{', 'not json', '{"a":1}}', '', '{"event_type":"a.b",}']) {
      await expectRejected('/api/v1/events', body, 400, { raw: true });
      await expectRejected('/api/v1/events/batch', body, 400, { raw: true });
    }
  });

  test('missing fields and wrong types are 422', async () => {
    const good = { event_type: 'test.created', entity_id: 'e1', payload: { a: 1 } };
    const cases = [
      { entity_id: 'e1', payload: {} },                 // no event_type
      { event_type: 'test.created', payload: {} },      // no entity_id
      { event_type: 'test.created', entity_id: 'e1' },  // no payload
      { ...good, event_type: 7 },
      { ...good, entity_id: 42 },
      { ...good, entity_id: null },
      { ...good, tenant_id: 5 },
      { ...good, expected_version: 'two' },
      { ...good, expected_version: 1.5 },
      { ...good, event_id: 12 },
      [],
      'a string',
      42,
    ];
    for (const body of cases) await expectRejected('/api/v1/events', body, 422);
    for (const body of [{}, { events: 'x' }, { events: {} }, { events: [1] }, []]) {
      await expectRejected('/api/v1/events/batch', body, 422);
    }
  });

  test('values that break a rule are 400', async () => {
    const good = { event_type: 'test.created', entity_id: 'e1', payload: { a: 1 } };
    const cases = [
      { ...good, event_type: 'Bad.Type' },
      { ...good, event_type: 'has space' },
      { ...good, event_type: '.leading' },
      { ...good, event_type: 'trailing.' },
      { ...good, event_type: 'double..dot' },
      { ...good, event_type: '' },
      { ...good, event_type: 'x'.repeat(129) },
      { ...good, event_type: '_system.reserved' },
      { ...good, entity_id: '' },
      { ...good, entity_id: ' leading' },
      { ...good, entity_id: 'trailing ' },
      { ...good, entity_id: 'ctl\u0001char' },
      { ...good, entity_id: 'x'.repeat(129) },
      { ...good, tenant_id: '' },
      { ...good, tenant_id: 'bad tenant!' },
      { ...good, tenant_id: 't'.repeat(65) },
    ];
    for (const body of cases) await expectRejected('/api/v1/events', body, 400);
  });

  test('a malformed event_id or a negative expected_version is rejected', async () => {
    for (const e of [newEvent({ event_id: 'not-a-uuid' }), newEvent({ expected_version: -1 })]) {
      await assertNothingWritten(server, async () => {
        const r = await post(server, '/api/v1/events', e);
        assert.ok([400, 422].includes(r.status), `${JSON.stringify(e)} -> ${r.status} ${r.text}`);
      });
    }
  });

  test('oversized body is 413', async () => {
    const payload = { blob: 'x'.repeat((1 << 20) + 1024) };
    const body = JSON.stringify(newEvent({ payload }));
    await assertNothingWritten(server, async () => {
      const req = `POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
      const { response } = await rawExchange(server.port, req);
      assert.equal(statusOf(response), 413, response.slice(0, 300));
    });
    // The same through fetch, for clients that read the answer normally.
    await assertNothingWritten(server, async () => {
      let status;
      try {
        status = (await post(server, '/api/v1/events', newEvent({ payload }))).status;
      } catch (e) {
        status = `network error ${e.cause?.code ?? e.message}`;
      }
      assert.ok(status === 413 || String(status).startsWith('network error'), `status ${status}`);
    });
    assert.equal((await get(server, '/health')).status, 200);
  });

  test('wrong content type is 415', async () => {
    const body = JSON.stringify(newEvent());
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      await expectRejected('/api/v1/events', body, 415, { raw: true, headers: { 'content-type': ct } });
      await expectRejected('/api/v1/events/batch', JSON.stringify({ events: [newEvent()] }), 415,
        { raw: true, headers: { 'content-type': ct } });
    }
  });

  test('conflicting expected_version is 409 with expected/current', async () => {
    const entity = uniq('occ');
    assert.equal((await post(server, '/api/v1/events', newEvent({ entity_id: entity }))).status, 200);
    const r = await expectRejected('/api/v1/events', newEvent({ entity_id: entity, expected_version: 0 }), 409);
    assert.equal(r.json.error, 'version_conflict');
    assert.equal(r.json.expected_version, 0);
    assert.equal(r.json.current_version, 1);
  });

  test('reused event_id with other content is 409', async () => {
    const id = randomUUID();
    const e = newEvent({ event_id: id, payload: { v: 1 } });
    assert.equal((await post(server, '/api/v1/events', e)).status, 200);
    for (const changed of [{ ...e, payload: { v: 2 } }, { ...e, event_type: 'test.other' },
      { ...e, entity_id: uniq('other') }, { ...e, metadata: { m: 1 } }]) {
      const r = await expectRejected('/api/v1/events', changed, 409);
      assert.equal(r.json.error, 'duplicate_event_id');
      assert.equal(r.json.event_id, id);
    }
    // Also inside a batch.
    await expectRejected('/api/v1/events/batch', { events: [newEvent(), { ...e, payload: { v: 3 } }] }, 409);
  });

  test('one invalid event in a batch: nothing of the batch is written', async () => {
    const entity = uniq('batch');
    const batch = (bad) => ({ events: [newEvent({ entity_id: entity }), newEvent({ entity_id: entity }), bad] });
    const r = await expectRejected('/api/v1/events/batch', batch(newEvent({ event_type: 'BAD' })), 400);
    assert.match(JSON.stringify(r.json), /2/, `the error should name index 2: ${r.text}`);
    await expectRejected('/api/v1/events/batch', batch({ event_type: 'x.y', payload: {} }), 422);
    await expectRejected('/api/v1/events/batch',
      batch(newEvent({ entity_id: entity, expected_version: 0 })), 409);  // the first two make it 2
    const q = await get(server, `/api/v1/events/query?entity_id=${entity}`);
    assert.equal(q.json.count, 0);
  });

  test('raw garbage over TCP gets 400 or a close, and the server keeps serving', async () => {
    const garbage = [
      'GARBAGE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      'POST /api/v1/events HTTP/1.1\r\nContent-Length: -5\r\n\r\n',
      'POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
      'GET /health HTTP/1.1\r\n' + 'X-Long: ' + 'a'.repeat(100000) + '\r\n\r\n',
    ];
    const clientError = (s) => s !== null && ((s >= 400 && s < 500) || s === 505);
    for (const g of garbage) {
      await assertNothingWritten(server, async () => {
        const { response, closed } = await rawExchange(server.port, g, { idleMs: 5000 });
        const status = statusOf(response);
        const what = `garbage ${JSON.stringify(String(g).slice(0, 40))}: status ${status}, closed ${closed}`;
        assert.ok(closed || clientError(status), what);
        assert.ok(status === null || clientError(status), what);
      });
    }
    // Requests the client abandons half way: the server must not write and must keep serving.
    for (const partial of [
      'POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial":',
      'POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Ty',
    ]) {
      await assertNothingWritten(server, () => rawExchange(server.port, partial, { idleMs: 300 }));
    }
    assert.equal((await get(server, '/health')).status, 200);
  });
});

describe('idempotent retry', () => {
  let server;
  before(async () => { server = await startAnnal(); });

  test('same event_id and content: same result, nothing written, not counted', async () => {
    const e = newEvent({ event_id: randomUUID(), metadata: { try: 1 } });
    const first = await post(server, '/api/v1/events', e);
    assert.equal(first.status, 200, first.text);
    const statsAfterFirst = await stats(server);
    const metricsBefore = await ingestedMetric(server);
    for (let i = 0; i < 3; i++) {
      const retry = await post(server, '/api/v1/events', { ...e, payload: { ...e.payload } });
      assert.equal(retry.status, 200, retry.text);
      assert.equal(retry.json.event_id, first.json.event_id);
      assert.equal(retry.json.sequence, first.json.sequence);
      assert.equal(retry.json.version, first.json.version);
      assert.equal(retry.json.timestamp, first.json.timestamp);
    }
    assert.deepEqual(await stats(server), statsAfterFirst);
    assert.equal(await ingestedMetric(server), metricsBefore, 'retries are not counted as ingested');

    // A batch retried as a whole.
    const batch = { events: [newEvent({ event_id: randomUUID() }), newEvent({ event_id: randomUUID() })] };
    const b1 = await post(server, '/api/v1/events/batch', batch);
    assert.equal(b1.status, 200, b1.text);
    const s1 = await stats(server);
    const b2 = await post(server, '/api/v1/events/batch', batch);
    assert.equal(b2.status, 200, b2.text);
    assert.deepEqual(b2.json.events.map((x) => x.sequence), b1.json.events.map((x) => x.sequence));
    assert.deepEqual(await stats(server), s1);
  });
});

async function ingestedMetric(server) {
  const r = await get(server, '/metrics');
  const m = /^allsource_events_ingested_total(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(r.text);
  assert.ok(m, 'allsource_events_ingested_total sample');
  return Number(m[1]);
}

// Self-test of the replication test tools, without Annal: the wire helpers
// (lib/replication_wire.mjs), the AllSource-only peers against each other
// (lib/allsource_peers.mjs) and the fault-injection proxy (lib/tcp_proxy.mjs).
// Needs no ANNAL_BIN; ctest passes one anyway, which is ignored.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { PassThrough } from 'node:stream';
import { afterEach, describe, test } from 'node:test';

import { makeAllSourceEvent, startAllSourceFollower, startAllSourceLeader } from './lib/allsource_peers.mjs';
import {
  LineReader, allSourceChecksum, allSourceTimestamp, chronoRfc3339, crc32, encode, walEntryMsg,
} from './lib/replication_wire.mjs';
import { startProxy } from './lib/tcp_proxy.mjs';

const T = { timeout: 60000 };

// Everything a test opens is closed after it, pass or fail, newest first.
const cleanups = [];
const track = (thing) => { cleanups.push(() => thing.close()); return thing; };
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const makeEvents = (n) => Array.from({ length: n }, () => makeAllSourceEvent());

// Resolves a condition with a deadline (for things that are not peers).
async function until(probe, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// A TCP server whose connections are handed to `onConn`; closes them all on close().
async function startServer(onConn) {
  const socks = new Set();
  const server = net.createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  return {
    port: server.address().port,
    sockets: socks,
    close: () => new Promise((r) => { server.close(() => r()); for (const s of socks) s.destroy(); }),
  };
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('error', reject);
    s.once('connect', () => { s.off('error', reject); s.on('error', () => {}); resolve(s); });
  });
}
const closeSocket = (s) => ({ close: () => new Promise((r) => { if (s.closed) r(); else { s.once('close', r); s.destroy(); } }) });

function assertContiguous(follower, from, to) {
  assert.equal(follower.entries.size, to - from + 1, 'entry count');
  for (let o = from; o <= to; o++) assert.ok(follower.entries.has(o), `entry ${o} present`);
  assert.equal(follower.lastOffset, to);
}

describe('replication_wire', () => {
  test('CRC-32 (IEEE) check value and the docs example checksum', () => {
    assert.equal(crc32('123456789'), 0xCBF43926);
    assert.equal(crc32(Buffer.alloc(0)), 0);
    assert.equal(crc32('6789', crc32('12345')), 0xCBF43926, 'running CRC');
    assert.equal(
      allSourceChecksum(42, '2026-11-21T14:03:07.123Z', '0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b'), 3337028224);
    // Same instant written with microseconds, and an uppercase id: same checksum.
    assert.equal(
      allSourceChecksum(42n, '2026-11-21T14:03:07.123000Z', '0190F7B2-1C2D-7E3F-8A4B-5C6D7E8F9A0B'), 3337028224);
  });

  test('AllSource timestamp: shortest exact fraction among 0/3/6/9 digits', () => {
    const cases = [
      ['2026-11-21T14:03:07Z', '2026-11-21 14:03:07 UTC'],
      ['2026-11-21T14:03:07.000Z', '2026-11-21 14:03:07 UTC'],
      ['2026-11-21T14:03:07.000000000Z', '2026-11-21 14:03:07 UTC'],
      ['2026-11-21T14:03:07.123Z', '2026-11-21 14:03:07.123 UTC'],
      ['2026-11-21T14:03:07.123000Z', '2026-11-21 14:03:07.123 UTC'],
      ['2026-11-21T14:03:07.120Z', '2026-11-21 14:03:07.120 UTC'],
      ['2026-11-21T14:03:07.1Z', '2026-11-21 14:03:07.100 UTC'],
      ['2026-11-21T14:03:07.123456Z', '2026-11-21 14:03:07.123456 UTC'],
      ['2026-11-21T14:03:07.000001Z', '2026-11-21 14:03:07.000001 UTC'],
      ['2026-11-21T14:03:07.123450Z', '2026-11-21 14:03:07.123450 UTC'],
      ['2026-11-21T14:03:07.123456789Z', '2026-11-21 14:03:07.123456789 UTC'],
      ['2026-11-21T14:03:07.000000001Z', '2026-11-21 14:03:07.000000001 UTC'],
      ['2026-11-21T14:03:07.1234567891Z', '2026-11-21 14:03:07.123456789 UTC'],  // truncated, like chrono
      ['2026-11-21T00:30:07.5+01:00', '2026-11-20 23:30:07.500 UTC'],            // offset applied
      ['0001-01-01T00:00:00Z', '0001-01-01 00:00:00 UTC'],
      ['2024-02-29T23:59:59.999999999Z', '2024-02-29 23:59:59.999999999 UTC'],
    ];
    for (const [input, want] of cases) assert.equal(allSourceTimestamp(input), want, input);
    assert.equal(chronoRfc3339('2026-11-21T14:03:07.123000Z'), '2026-11-21T14:03:07.123Z');
    for (const bad of ['2026-11-21', '2026-13-01T00:00:00Z', '2025-02-29T00:00:00Z', '2026-11-21T14:03:07',
      '2026-11-21T24:00:00Z']) {
      assert.throws(() => allSourceTimestamp(bad), /timestamp/, bad);
    }
  });

  test('encode: one compact line; wal_entry in AllSource shape', () => {
    assert.equal(encode({ type: 'ack', offset: 3 }), '{"type":"ack","offset":3}\n');
    assert.equal(encode({ type: 'x', s: 'a\nb' }).split('\n').length, 2, 'embedded newline is escaped');
    const ev = {
      id: '0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b', event_type: 'order.placed', entity_id: 'order-7',
      tenant_id: 'acme', payload: { qty: 2 }, metadata: { by: 'ui' }, timestamp: '2026-11-21T14:03:07.123000Z',
    };
    assert.equal(encode(walEntryMsg(42, ev, '2026-11-21T14:03:07.123Z')),
      '{"type":"wal_entry","offset":42,"data":{"sequence":42,"wal_timestamp":"2026-11-21T14:03:07.123Z",' +
      '"event":{"id":"0190f7b2-1c2d-7e3f-8a4b-5c6d7e8f9a0b","event_type":"order.placed","entity_id":"order-7",' +
      '"tenant_id":"acme","payload":{"qty":2},"timestamp":"2026-11-21T14:03:07.123000Z","metadata":{"by":"ui"},' +
      '"version":1},"checksum":3337028224}}\n');
  });

  test('LineReader: lines split across chunks, CRLF, trailing partial line', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, { maxLineBytes: 16 });
    const lines = [];
    let end = null;
    reader.on('line', (l) => lines.push(l));
    reader.on('end', (e) => { end = e; });
    reader.on('error', (e) => assert.fail(e));
    const e = Buffer.from('é');  // two UTF-8 bytes, written separately
    for (const piece of ['ab', 'c\nde', 'f\r\n\n', e.subarray(0, 1), e.subarray(1), '\nxy']) {
      stream.write(Buffer.from(piece));
    }
    stream.end();
    await until(() => end, 'end');
    assert.deepEqual(lines, ['abc', 'def', '', 'é']);
    assert.deepEqual(end, { trailingBytes: 2 });
  });

  test('LineReader: a line over maxLineBytes is an error, even without a newline', async () => {
    for (const input of ['0123456789\n0123456789abcdefgh', '0123456789abcdefXYZ\n']) {
      const stream = new PassThrough();
      const reader = new LineReader(stream, { maxLineBytes: 16 });
      const lines = [];
      let err = null;
      reader.on('line', (l) => lines.push(l));
      reader.on('error', (e) => { err = e; });
      stream.write(input.slice(0, 5));
      stream.write(input.slice(5));
      await until(() => err, 'ELINETOOLONG');
      assert.equal(err.code, 'ELINETOOLONG');
      stream.write('more\n');  // ignored after the error
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(lines, input.startsWith('0123456789\n') ? ['0123456789'] : []);
      stream.destroy();
    }
  });

  test('LineReader: stops mid-chunk when a listener destroys the stream', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream);
    const lines = [];
    reader.on('line', (l) => { lines.push(l); if (l === 'b') stream.destroy(); });
    stream.write('a\nb\nc\nd\n');
    await until(() => stream.destroyed && lines.length >= 2, 'destroy');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lines, ['a', 'b']);
  });

  test('LineReader: async iteration with a bounded queue', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, { highWaterLines: 4 });
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    stream.end(`${text}\n`);
    const got = [];
    for await (const line of reader) {
      got.push(line);
      await new Promise((r) => setImmediate(r));  // a slow consumer
    }
    assert.equal(got.join('\n'), text);
  });
});

describe('AllSource peers against each other', () => {
  test('1000 events: follower receives all, contiguous, checksums ok, acks reach 1000', T, async () => {
    const events = makeEvents(1000);
    const leader = track(await startAllSourceLeader({ events }));
    const follower = track(await startAllSourceFollower({ leaderPort: leader.port }));
    await follower.waitFor((f) => f.caughtUp.length === 1, 10000, 'caught_up');
    assert.deepEqual(follower.caughtUp, [1000]);
    assertContiguous(follower, 1, 1000);
    for (let i = 0; i < 1000; i++) {
      const e = follower.entries.get(i + 1);
      assert.equal(e.id, events[i].id);
      assert.deepEqual(Object.keys(e.event),
        ['id', 'event_type', 'entity_id', 'tenant_id', 'payload', 'timestamp', 'metadata', 'version']);
      assert.deepEqual(e.event.payload, events[i].payload);
      assert.equal(e.walTimestamp, events[i].timestamp);
    }
    await leader.waitFor((l) => l.acked === 1000, 10000, 'ack 1000');
    assert.deepEqual(follower.errors, []);
    assert.deepEqual(leader.errors, []);
    // The follower speaks plain AllSource: no Annal fields anywhere.
    assert.deepEqual(leader.received[0], { type: 'subscribe', last_offset: 0 });
    for (const m of leader.received.slice(1)) assert.deepEqual(Object.keys(m), ['type', 'offset']);
    const offsets = leader.received.slice(1).map((m) => m.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), 'acks are cumulative');
  });

  test('late follower subscribing at 500 gets 501..1000, then live appends', T, async () => {
    const leader = track(await startAllSourceLeader({ events: makeEvents(1000) }));
    const follower = track(await startAllSourceFollower({ leaderPort: leader.port, lastOffset: 500, ackEvery: 64 }));
    await follower.waitFor((f) => f.caughtUp.length === 1, 10000, 'caught_up');
    assert.deepEqual(follower.caughtUp, [1000]);
    assert.equal(Math.min(...follower.entries.keys()), 501);
    assertContiguous(follower, 501, 1000);
    await leader.waitFor((l) => l.acked === 1000, 10000, 'ack 1000 (caught_up flushes the partial batch)');

    const more = makeEvents(10);
    for (const e of more) leader.append(e);
    await follower.waitFor((f) => f.lastOffset === 1010, 10000, 'live entries');
    assert.equal(follower.entries.get(1010).id, more[9].id);
    assertContiguous(follower, 501, 1010);
    assert.deepEqual(follower.errors, []);
    assert.deepEqual(leader.errors, []);
  });

  test('follower drops the connection on a gap', T, async () => {
    const leader = track(await startAllSourceLeader({
      events: makeEvents(10), transformEntry: (m, { sequence }) => (sequence === 5 ? null : m),
    }));
    const follower = track(await startAllSourceFollower({ leaderPort: leader.port }));
    await follower.waitFor((f) => f.closed, 10000, 'follower to drop the connection');
    assert.equal(follower.lastOffset, 4);
    assert.equal(follower.errors.length, 1, follower.errors.join('\n'));
    assert.match(follower.errors[0], /offset 6 is not last \+ 1 \(last = 4\)/);
    assert.equal(follower.entries.size, 4);
  });

  test('follower drops the connection on a bad checksum, offset != sequence, or garbage', T, async () => {
    const faults = [
      [(m) => { m.data.checksum = (m.data.checksum ^ 1) >>> 0; return m; }, /checksum \d+ != expected/],
      [(m) => { m.data.sequence += 1; return m; }, /offset 3 != data.sequence 4/],
      [() => '{"type":"wal_entry",\n', /not a JSON message/],
    ];
    for (const [fault, want] of faults) {
      const leader = track(await startAllSourceLeader({
        events: makeEvents(5), transformEntry: (m, { sequence }) => (sequence === 3 ? fault(m) : m),
      }));
      const follower = track(await startAllSourceFollower({ leaderPort: leader.port }));
      await follower.waitFor((f) => f.closed, 10000, 'follower to drop the connection');
      assert.equal(follower.lastOffset, 2, 'the bad entry is not applied');
      assert.equal(follower.errors.length, 1, 'nothing after the bad line is looked at');
      assert.match(follower.errors[0], want);
    }
  });

  test('follower records un-negotiated message types', T, async () => {
    const leader = track(await startAllSourceLeader({ events: makeEvents(3) }));
    const follower = track(await startAllSourceFollower({ leaderPort: leader.port }));
    await follower.waitFor((f) => f.caughtUp.length === 1, 10000, 'caught_up');
    leader.sendRaw('{"type":"heartbeat","epoch":2}\n');
    await follower.waitFor((f) => f.errors.length === 1, 10000, 'the unknown type to be recorded');
    assert.match(follower.errors[0], /unknown message type "heartbeat"/);
  });

  test('snapshot catch-up: files reassembled, streaming resumes after wal_offset_after_snapshot', T, async () => {
    const files = [
      { name: 'events-000001.parquet', data: randomBytes(1300 * 1024) },  // three chunks
      { name: 'events-000002.parquet', data: randomBytes(10) },
      { name: 'empty.parquet', data: Buffer.alloc(0) },
    ];
    const leader = track(await startAllSourceLeader({
      events: makeEvents(60), snapshot: { files, walOffsetAfter: 50 },
    }));
    const follower = track(await startAllSourceFollower({ leaderPort: leader.port }));
    await follower.waitFor((f) => f.caughtUp.length === 1, 10000, 'caught_up');
    assert.equal(follower.snapshots, 1);
    assert.equal(follower.snapshot.walOffsetAfter, 50);
    assert.deepEqual(follower.snapshot.announced, files.map((f) => f.name));
    for (const f of files) assert.ok(follower.snapshot.files.get(f.name).equals(f.data), f.name);
    assertContiguous(follower, 51, 60);
    await leader.waitFor((l) => l.acked === 60, 10000, 'ack 60');
    assert.deepEqual(follower.errors, []);
    assert.deepEqual(leader.errors, []);
  });
});

describe('tcp_proxy', () => {
  test('forwards both directions and half-closes; counts bytes', T, async () => {
    const echo = track(await startServer((s) => s.pipe(s)));
    const proxy = track(await startProxy({ targetPort: echo.port }));
    const c = await connect(proxy.port);
    track(closeSocket(c));
    const payload = randomBytes(1 << 20);
    const got = [];
    let ended = false;
    c.on('data', (d) => got.push(d));
    c.on('end', () => { ended = true; });
    c.end(payload);
    await until(() => ended, 'echo to end after our FIN');
    assert.ok(Buffer.concat(got).equals(payload));
    const st = proxy.stats();
    assert.equal(st.connections, 1);
    assert.equal(st.bytesUp, payload.length);
    assert.equal(st.bytesDown, payload.length);
    await until(() => proxy.stats().active === 0, 'pair to be released');
  });

  test('leader and follower through the proxy', T, async () => {
    const leader = track(await startAllSourceLeader({ events: makeEvents(200) }));
    const proxy = track(await startProxy({ targetPort: leader.port }));
    const follower = track(await startAllSourceFollower({ leaderPort: proxy.port }));
    await leader.waitFor((l) => l.acked === 200, 10000, 'ack 200 through the proxy');
    assertContiguous(follower, 1, 200);
    assert.ok(proxy.stats().bytesDown > 200 * 200);
    assert.ok(proxy.stats().bytesUp > 0);
  });

  test('throttle: 256 KiB each way at 64 KiB/s takes at least ~4 s', T, async () => {
    const RATE = 64 * 1024;
    const SIZE = 256 * 1024;
    // A server that sends SIZE bytes and counts what it receives.
    let serverGot = 0;
    const sink = track(await startServer((s) => {
      s.on('data', (d) => { serverGot += d.length; });
      s.write(Buffer.alloc(SIZE, 0x42));
    }));
    const proxy = track(await startProxy({ targetPort: sink.port }));
    proxy.setThrottle(RATE);
    const t0 = performance.now();
    const c = await connect(proxy.port);
    track(closeSocket(c));
    let clientGot = 0;
    let tDown = null;
    c.on('data', (d) => { clientGot += d.length; if (clientGot === SIZE) tDown = performance.now(); });
    c.write(Buffer.alloc(SIZE, 0x43));
    let tUp = null;
    await until(() => {
      if (tUp === null && serverGot === SIZE) tUp = performance.now();
      return tUp !== null && tDown !== null;
    }, 'both transfers', 30000);
    // The limiter can hold at most a short burst of credit (<= 100 ms worth), so each direction
    // needs at least SIZE/RATE - 0.1 s. No upper bound: a slow machine only makes it slower.
    const lowerMs = (SIZE / RATE - 0.1) * 1000;
    assert.ok(tUp - t0 >= lowerMs, `upstream took ${(tUp - t0).toFixed(0)} ms, expected >= ${lowerMs} ms`);
    assert.ok(tDown - t0 >= lowerMs, `downstream took ${(tDown - t0).toFixed(0)} ms, expected >= ${lowerMs} ms`);

    // Lifting the throttle mid-connection lets the next 4 MiB through at full speed.
    proxy.setThrottle(null);
    serverGot = 0;
    c.write(Buffer.alloc(4 << 20));
    await until(() => serverGot === 4 << 20, 'unthrottled 4 MiB', 10000);
  });

  test('cutAll destroys both sides; new connections are still accepted', T, async () => {
    const leader = track(await startAllSourceLeader({ events: makeEvents(20) }));
    const proxy = track(await startProxy({ targetPort: leader.port }));
    const f1 = track(await startAllSourceFollower({ leaderPort: proxy.port }));
    await leader.waitFor((l) => l.acked === 20, 10000, 'ack 20');
    proxy.cutAll();
    await f1.waitFor((f) => f.closed, 5000, 'follower to see close');
    await leader.waitFor((l) => l.sessions[0].closed, 5000, 'leader to see close');
    assert.equal(proxy.stats().active, 0);
    assert.deepEqual(f1.errors, []);

    const f2 = track(await startAllSourceFollower({ leaderPort: proxy.port, lastOffset: f1.lastOffset }));
    leader.append(makeAllSourceEvent());
    await f2.waitFor((f) => f.lastOffset === 21, 10000, 'entry 21 after reconnecting');
    assert.equal(proxy.stats().connections, 2);
    assert.deepEqual(leader.received.filter((m) => m.type === 'subscribe'),
      [{ type: 'subscribe', last_offset: 0 }, { type: 'subscribe', last_offset: 20 }]);
  });

  test('pause holds data without closing; resume delivers it', T, async () => {
    const leader = track(await startAllSourceLeader({ events: makeEvents(5) }));
    const proxy = track(await startProxy({ targetPort: leader.port }));
    const follower = track(await startAllSourceFollower({ leaderPort: proxy.port }));
    await leader.waitFor((l) => l.acked === 5, 10000, 'ack 5');

    proxy.pause();
    const downBefore = proxy.stats().bytesDown;
    leader.append(makeAllSourceEvent());
    await leader.waitFor((l) => l.sessions[0].sent === 6, 5000, 'leader to write entry 6');
    // A negative check needs a window: nothing may cross the paused proxy within it.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(follower.lastOffset, 5, 'nothing delivered while paused');
    assert.equal(proxy.stats().bytesDown, downBefore);
    assert.equal(follower.closed, false);
    assert.equal(proxy.stats().active, 1);

    proxy.resume();
    await follower.waitFor((f) => f.lastOffset === 6, 5000, 'entry 6 after resume');
    await leader.waitFor((l) => l.acked === 6, 5000, 'ack 6 after resume');
  });

  test('refuse closes new connections at once; existing ones keep working', T, async () => {
    const leader = track(await startAllSourceLeader({ events: makeEvents(3) }));
    const proxy = track(await startProxy({ targetPort: leader.port }));
    const f1 = track(await startAllSourceFollower({ leaderPort: proxy.port }));
    await leader.waitFor((l) => l.acked === 3, 10000, 'ack 3');

    proxy.setRefuse(true);
    const f2 = track(await startAllSourceFollower({ leaderPort: proxy.port }));
    await f2.waitFor((f) => f.closed, 5000, 'refused connection to close');
    assert.equal(f2.received, 0);
    assert.equal(proxy.stats().refused, 1);
    assert.equal(leader.sessions.length, 1, 'nothing reached the leader');
    leader.append(makeAllSourceEvent());
    await f1.waitFor((f) => f.lastOffset === 4, 5000, 'existing connection still forwards');

    proxy.setRefuse(false);
    const f3 = track(await startAllSourceFollower({ leaderPort: proxy.port, lastOffset: 2 }));
    await f3.waitFor((f) => f.lastOffset === 4, 5000, 'accepted again');
  });

  test('close destroys live connections and stops listening', T, async () => {
    const leader = track(await startAllSourceLeader({ events: makeEvents(1) }));
    const proxy = await startProxy({ targetPort: leader.port });
    const follower = track(await startAllSourceFollower({ leaderPort: proxy.port }));
    await leader.waitFor((l) => l.acked === 1, 10000, 'ack 1');
    await proxy.close();
    await follower.waitFor((f) => f.closed, 5000, 'follower to see close');
    await assert.rejects(connect(proxy.port), /ECONNREFUSED/);
  });
});

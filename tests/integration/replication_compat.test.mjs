// Compatibility both ways with peers that speak only AllSource's seven messages (issue 4
// item 6; lib/allsource_peers.mjs): an AllSource follower of an Annal leader, and an Annal
// follower of an AllSource leader — including damaged, missing, repeated and unknown lines,
// which must be refetched, never skipped or applied twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { stopAll, waitFor } from './lib/annal.mjs';
import { health, logIds, startFollower, startLeader, waitReplicated, writeEvents } from './lib/cluster.mjs';
import { makeAllSourceEvent, startAllSourceFollower, startAllSourceLeader } from './lib/allsource_peers.mjs';
import { get, post } from './lib/http.mjs';
import { waitForCheckpoint } from './lib/storage.mjs';
import { allSourceChecksum, chronoRfc3339, encode, parseRfc3339, walEntryMsg } from './lib/replication_wire.mjs';
import { readAll } from './lib/verify.mjs';

const peers = [];
after(async () => {
  for (const p of peers) await p.close();
  await stopAll();
});

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// ---------------------------------------------------------------------------------------------
// AllSource follower, Annal leader.

test('an AllSource-only follower follows an Annal leader: 1..2300 contiguous, checksums valid, only the seven messages, acks counted', async () => {
  const leader = await startLeader();
  await writeEvents(leader, 2000, { batch: 250 });
  const follower = await startAllSourceFollower({ leaderPort: leader.replPort });
  peers.push(follower);
  await follower.waitFor((f) => f.lastOffset === 2000, 30000, 'the backlog');
  await writeEvents(leader, 300, { batch: 7, tag: 'live' });
  await follower.waitFor((f) => f.lastOffset === 2300 && f.lastAcked === 2300, 30000, 'the live tail');
  assert.deepEqual(follower.errors, [], 'no protocol violation, no unknown message type');
  assert.deepEqual([...follower.entries.keys()], range(1, 2300), 'exactly 1..2300, in order');
  assert.equal(follower.caughtUp[0], 2000, 'caught_up after the backlog, at its end');
  for (const [seq, e] of follower.entries) {
    assert.equal(e.checksum, allSourceChecksum(seq, e.walTimestamp, e.id), `checksum of entry ${seq}`);
  }
  // What it received is the leader's log, entry for entry and field for field.
  const all = await readAll(leader);
  assert.equal(all.length, 2300);
  for (const e of all) {
    const got = follower.entries.get(e.sequence)?.event;
    assert.ok(got, `entry ${e.sequence}`);
    assert.equal(got.id, e.id);
    assert.equal(got.event_type, e.event_type);
    assert.equal(got.entity_id, e.entity_id);
    assert.equal(got.tenant_id, e.tenant_id);
    assert.deepEqual(got.payload, e.payload);
    assert.deepEqual(got.metadata ?? null, e.metadata ?? null);
    assert.equal(parseRfc3339(got.timestamp).nanos, parseRfc3339(e.timestamp).nanos, `timestamp of ${e.sequence}`);
    assert.equal(got.version, 1);
  }
  await waitFor(async () => (await health(leader)).replication.followers_detail[0]?.acked_offset === 2300,
    { what: 'the AllSource acks to reach the leader' });
  const detail = (await health(leader)).replication.followers_detail[0];
  assert.equal(detail.protocol, 'allsource');
  assert.equal(detail.state, 'streaming');
  assert.equal(detail.sent_offset, 2300);
  assert.equal(detail.lag_entries, 0);

  // A second AllSource follower that already has 1..1234 gets exactly 1235.. from the WAL.
  const late = await startAllSourceFollower({ leaderPort: leader.replPort, lastOffset: 1234, ackEvery: 50 });
  peers.push(late);
  await late.waitFor((f) => f.caughtUp.length >= 1, 30000, 'caught_up from 1234');
  const last = await writeEvents(leader, 50, { tag: 'both' });
  await late.waitFor((f) => f.lastOffset === last && f.lastAcked === last, 10000, 'the live tail');
  await follower.waitFor((f) => f.lastOffset === last, 10000, 'the live tail');
  assert.deepEqual(late.errors, []);
  assert.deepEqual(follower.errors, []);
  assert.deepEqual([...late.entries.keys()], range(1235, last));
  for (const [seq, e] of late.entries) assert.equal(e.id, follower.entries.get(seq).id, `entry ${seq}`);
  await waitFor(async () => {
    const d = (await health(leader)).replication.followers_detail;
    return d.length === 2 && d.every((f) => f.protocol === 'allsource' && f.acked_offset === last);
  }, { what: 'both AllSource followers acked on the leader' });
  assert.ok((await health(leader)).replication.followers_detail.some((f) => f.subscribed_from === 1234));
  await leader.stop();
});

test('semi-sync counts an AllSource follower\'s acks, and only its acks', async () => {
  const leader = await startLeader({ args: ['--replication-mode', 'semi-sync', '--ack-timeout-ms', '10000'] });
  const follower = await startAllSourceFollower({ leaderPort: leader.replPort });
  peers.push(follower);
  await follower.waitFor((f) => f.caughtUp.length >= 1, 10000, 'caught_up');
  const r = await post(leader, '/api/v1/events', { event_type: 'a.b', entity_id: 'x', payload: { k: 1 } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('x-replication-status'), 'acked');
  assert.deepEqual(r.json.replication, { mode: 'semi_sync', acked: true, acks: 1, required: 1 });
  assert.equal(follower.entries.get(r.json.sequence)?.id, r.json.event_id);
  assert.deepEqual(follower.errors, []);
  await leader.stop();

  // A follower that acks by hand: the write waits for exactly that ack, and without it degrades.
  const slow = await startLeader({ args: ['--replication-mode', 'semi-sync', '--ack-timeout-ms', '2000'] });
  const manual = await startAllSourceFollower({ leaderPort: slow.replPort, ackEvery: Infinity });
  peers.push(manual);
  await manual.waitFor((f) => f.caughtUp.length >= 1, 10000, 'caught_up');
  await waitFor(async () => (await health(slow)).replication.followers_detail[0]?.state === 'streaming',
    { what: 'the AllSource follower to stream' });
  let answered = false;
  const started = Date.now();
  const pending = post(slow, '/api/v1/events', { event_type: 'a.b', entity_id: 'y', payload: {} })
    .finally(() => { answered = true; });
  await manual.waitFor((f) => f.lastOffset === 1, 5000, 'entry 1');
  assert.equal(answered, false, 'the write waits for the ack');
  manual.ack(1);
  const acked = await pending;
  assert.equal(acked.status, 200, acked.text);
  assert.deepEqual(acked.json.replication, { mode: 'semi_sync', acked: true, acks: 1, required: 1 });
  assert.ok(Date.now() - started < 2000, 'answered on the ack, not on the timeout');
  const unacked = await post(slow, '/api/v1/events', { event_type: 'a.b', entity_id: 'y', payload: {} });
  assert.equal(unacked.status, 200, unacked.text);
  assert.equal(unacked.headers.get('x-replication-status'), 'degraded');
  assert.deepEqual(unacked.json.replication, { mode: 'semi_sync', acked: false, acks: 0, required: 1 });
  assert.equal(manual.lastOffset, 2, 'the entry was sent, just not acked');
  assert.deepEqual(manual.errors, []);
  await slow.stop();
});

test('an AllSource-only follower beyond the WAL range gets a snapshot in the seven messages, then X+1.. contiguous', async () => {
  // Small segments, no retention, frequent checkpoints: the first WAL segment goes away quickly.
  const leader = await startLeader({ args: ['--wal-segment-bytes', '65536', '--wal-retention', '0',
                                            '--checkpoint-interval', '100ms'] });
  await writeEvents(leader, 5000, { batch: 500, tag: 'old' });
  await waitForCheckpoint(leader.dataDir, 5000);
  await waitFor(() => fs.readdirSync(path.join(leader.dataDir, 'wal')).filter((n) => /^wal-\d{20}\.log$/.test(n))
    .sort()[0] > 'wal-00000000000000000001.log', { what: 'the first WAL segment to be deleted' });
  const follower = await startAllSourceFollower({ leaderPort: leader.replPort });
  peers.push(follower);
  await follower.waitFor((f) => f.snapshot?.done && f.caughtUp.length >= 1, 30000, 'the snapshot and caught_up');
  const x = follower.snapshot.walOffsetAfter;
  assert.ok(x >= 1 && x <= 5000, `wal_offset_after_snapshot ${x}`);
  assert.equal(follower.snapshots, 1);
  assert.ok(follower.snapshot.files.size >= 1);
  for (const [name, bytes] of follower.snapshot.files) {
    assert.match(name, /\.parquet$/);
    assert.equal(bytes.subarray(0, 4).toString(), 'PAR1', `${name} starts like Parquet`);
    assert.equal(bytes.subarray(-4).toString(), 'PAR1', `${name} ends like Parquet`);
  }
  const last = await writeEvents(leader, 100, { tag: 'live' });
  await follower.waitFor((f) => f.lastOffset === last && f.lastAcked === last, 10000, 'the live tail');
  assert.deepEqual(follower.errors, [], 'no protocol violation, no un-negotiated message type');
  assert.deepEqual([...follower.entries.keys()], range(x + 1, last), 'entries continue at X+1');
  const all = await readAll(leader);
  for (let s = x + 1; s <= last; s++) assert.equal(follower.entries.get(s).id, all[s - 1].id, `entry ${s}`);
  await waitFor(async () => (await health(leader)).replication.followers_detail[0]?.acked_offset === last,
    { what: 'its acks to reach the leader' });
  const d = (await health(leader)).replication.followers_detail[0];
  assert.equal(d.protocol, 'allsource');
  assert.equal(d.snapshots_sent, 1);
  assert.equal(d.state, 'streaming');
  await leader.stop();
});

// ---------------------------------------------------------------------------------------------
// Annal follower, AllSource leader.

// The instant of an RFC 3339 timestamp as Annal stores it: microseconds, 'Z'.
function micros(ts) {
  const t = parseRfc3339(ts);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(t.year, 4)}-${p(t.month)}-${p(t.day)}T${p(t.hour)}:${p(t.minute)}:${p(t.second)}.${t.nanos.slice(0, 6)}Z`;
}

// Events as an AllSource (Rust, chrono) leader would have them: timestamps with nanoseconds,
// microseconds or the shortest fraction, several tenants and entities, metadata or null.
function allSourceEvents(n, { from = 0, tag = 'acct' } = {}) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const e = makeAllSourceEvent({
      event_type: i % 5 ? 'account.credited' : 'account.opened',
      entity_id: `${tag}-${i % 7}`, tenant_id: i % 2 ? 'default' : 'acme',
      payload: { i, note: 'x'.repeat(i % 50), nested: { ok: i % 3 === 0, list: [i, 'ü€𝄞'] } },
      metadata: i % 3 ? null : { by: `u${i}`, trace: [1, 2] },
    });
    if (i % 3 === 0) e.timestamp = `${e.timestamp.slice(0, -1)}${String(i % 1000).padStart(3, '0')}Z`;
    else if (i % 3 === 1) e.timestamp = chronoRfc3339(e.timestamp);
    return e;
  });
}

// AllSource stamps its WAL entries with their own time (chrono's serde form, nanoseconds): a
// wal_timestamp different from the event's timestamp, covered by the checksum.
function withOwnWalTimestamp(msg) {
  const nanos = String(Math.floor(Math.random() * 1e6)).padStart(6, '0');
  const wal = chronoRfc3339(`${new Date().toISOString().slice(0, 23)}${nanos}Z`);
  return { ...msg, data: { ...msg.data, wal_timestamp: wal, checksum: allSourceChecksum(msg.offset, wal, msg.data.event.id) } };
}

// The follower's log is the leader's, field for field; entity versions count per entity.
function assertMirrors(all, sent) {
  assert.equal(all.length, sent.length);
  const versions = new Map();
  all.forEach((e, i) => {
    const s = sent[i];
    assert.equal(e.sequence, i + 1);
    assert.equal(e.id, s.id, `id at ${i + 1}`);
    assert.equal(e.event_type, s.event_type);
    assert.equal(e.entity_id, s.entity_id);
    assert.equal(e.tenant_id, s.tenant_id);
    assert.deepEqual(e.payload, s.payload);
    assert.deepEqual(e.metadata, s.metadata);
    assert.equal(e.timestamp, micros(s.timestamp), `timestamp at ${i + 1} (sent ${s.timestamp})`);
    const key = `${e.tenant_id}/${e.entity_id}`;
    versions.set(key, (versions.get(key) ?? 0) + 1);
    assert.equal(e.entity_version, versions.get(key), `entity_version at ${i + 1}`);
  });
}

test('an Annal follower follows an AllSource-only leader: same events, sequences 1..600, entity versions assigned, acks, read-only', async () => {
  const leader = await startAllSourceLeader({ events: allSourceEvents(500), transformEntry: withOwnWalTimestamp });
  peers.push(leader);
  const follower = await startFollower(leader.port);
  await waitReplicated(follower, 500);
  for (const e of allSourceEvents(100, { from: 500 })) leader.append(e);
  await waitReplicated(follower, 600);
  await leader.waitFor((l) => l.acked === 600, 10000, 'acks up to 600');

  assertMirrors(await readAll(follower), leader.events);
  assert.deepEqual(leader.errors, [], 'no ack beyond what was sent, nothing unexpected');
  const subs = leader.received.filter((m) => m.type === 'subscribe');
  assert.equal(subs.length, 1);
  assert.equal(subs[0].last_offset, 0);
  assert.ok(leader.received.every((m) => m.type === 'subscribe' || m.type === 'ack'), 'only subscribe and ack');
  const acks = leader.received.filter((m) => m.type === 'ack').map((m) => m.offset);
  assert.ok(acks.every((a, i) => i === 0 || a >= acks[i - 1]), 'acks are cumulative');

  const h = (await health(follower)).replication;
  assert.equal(h.connected, true);
  assert.equal(h.leader, `127.0.0.1:${leader.port}`);
  assert.equal(h.caught_up, true);
  assert.equal(h.last_replayed_offset, 600);
  assert.equal(h.leader_offset, 600);
  assert.equal(h.replication_lag_entries, 0);
  assert.equal(h.total_replayed, 600);
  assert.equal(h.reconnect_count, 0);
  assert.equal(h.corrupted_skipped, 0);

  for (const [path, body] of [['/api/v1/events', { event_type: 'a.b', entity_id: 'x', payload: {} }],
                              ['/api/v1/events/batch', { events: [{ event_type: 'a.b', entity_id: 'x', payload: {} }] }]]) {
    const w = await post(follower, path, body);
    assert.equal(w.status, 409, w.text);
    assert.equal(w.json.error, 'read_only');
    assert.equal(w.json.leader, `127.0.0.1:${leader.port}`);
  }
  assert.equal((await get(follower, '/api/v1/stats')).json.total_events, 600);
  // Entity reads see the versions it assigned.
  const q = await get(follower, '/api/v1/events/query?entity_id=acct-3&tenant_id=acme&limit=1000');
  assert.equal(q.status, 200, q.text);
  assert.deepEqual(q.json.events.map((e) => e.entity_version), range(1, q.json.events.length));
  await follower.stop();
});

// One bad line from the leader, the first time entry 150 goes out; afterwards it behaves.
const FAULTS = {
  'a wrong AllSource checksum': { log: /entry 150: .*checksum mismatch/, make: (msg) => ({ ...msg, data: { ...msg.data, checksum: (msg.data.checksum + 1) >>> 0 } }) },
  'a gap (entry 150 not sent)': { log: /expected offset 150, got 151/, make: () => null },
  'a repeated entry (149 again instead of 150)': { log: /expected offset 150, got 149/, make: (msg, events) => walEntryMsg(149, events[148]) },
  'an entry whose offset and sequence differ': { log: /wal_entry\.offset 150 != data\.sequence 151/, make: (msg) => ({ ...msg, data: { ...msg.data, sequence: 151 } }) },
  'a message type AllSource does not have': { log: /unknown message type "heartbeat"/, make: (msg) => `{"type":"heartbeat","offset":149}\n${encode(msg)}` },
  'a truncated line': { log: /bad line from the leader: malformed JSON/, make: (msg) => `${encode(msg).slice(0, 60)}\n${encode(msg)}` },
};

for (const [name, fault] of Object.entries(FAULTS)) {
  test(`an Annal follower of an AllSource leader refetches after ${name}: never applied, exactly once`, async () => {
    let faults = 0;
    const leader = await startAllSourceLeader({
      events: allSourceEvents(300),
      transformEntry: (msg, { sequence }) => {
        if (sequence === 150 && faults === 0) {
          faults++;
          return fault.make(msg, leader.events);
        }
        return msg;
      },
    });
    peers.push(leader);
    const follower = await startFollower(leader.port);
    await waitReplicated(follower, 300);
    for (const e of allSourceEvents(50, { from: 300 })) leader.append(e);
    await waitReplicated(follower, 350);
    await leader.waitFor((l) => l.acked === 350, 10000, 'acks up to 350');

    assert.equal(faults, 1);
    assertMirrors(await readAll(follower), leader.events);
    assert.equal((await logIds(follower)).length, 350);
    const h = (await health(follower)).replication;
    assert.ok(h.reconnect_count >= 1, `the bad line made it reconnect: ${JSON.stringify(h)}`);
    assert.equal(h.total_replayed, 350, 'nothing applied twice');
    assert.equal(h.corrupted_skipped, 0);
    assert.match(follower.log, fault.log);
    // It resubscribed from what was durable, which never included the bad entry.
    const subs = leader.received.filter((m) => m.type === 'subscribe').map((m) => m.last_offset);
    assert.ok(subs.length >= 2 && subs[0] === 0 && subs.slice(1).every((l) => l <= 149),
      `subscribes: ${subs}`);
    assert.ok(leader.sessions.length >= 2);
    // The follower drops the connection with entries unread: a reset is how that looks here.
    assert.deepEqual(leader.errors.filter((e) => !/ECONNRESET|EPIPE/.test(e)), []);
    await follower.stop();
  });
}

test('a follower whose sessions streamed does not back off ever longer after each damaged entry', async () => {
  let damageNext = false;
  const leader = await startAllSourceLeader({
    events: allSourceEvents(10),
    transformEntry: (msg) => {
      if (!damageNext) return msg;
      damageNext = false;
      return { ...msg, data: { ...msg.data, checksum: (msg.data.checksum + 1) >>> 0 } };
    },
  });
  peers.push(leader);
  const follower = await startFollower(leader.port);
  try {
    await waitReplicated(follower, 10);
    const delays = [];
    for (let i = 1; i <= 6; i++) {
      // A healthy, caught-up session first.
      await waitFor(async () => (await health(follower)).replication.caught_up, { what: 'caught up' });
      damageNext = true;
      const started = Date.now();
      const seq = leader.append(allSourceEvents(1, { from: 10 + i })[0]);
      await waitReplicated(follower, seq, { timeoutMs: 10000 });
      delays.push(Date.now() - started);
      assert.ok(delays.at(-1) < 1000, `refetching damaged entry ${i} took ${delays.join(', ')} ms`);
    }
  } finally {
    await follower.stop();
  }
});

test('an AllSource leader whose log is shorter than the follower\'s (it lost its WAL) is not followed silently', async () => {
  const before = await startAllSourceLeader({ events: allSourceEvents(300) });
  peers.push(before);
  let follower = await startFollower(before.port);
  await waitReplicated(follower, 300);
  const { dataDir } = follower;
  await follower.stop();
  await before.close();
  // The "same" leader after losing its log: 100 other events, then new writes.
  const lost = await startAllSourceLeader({ events: allSourceEvents(100, { tag: 'other' }) });
  peers.push(lost);
  follower = await startFollower(lost.port, { dataDir });
  try {
    await lost.waitFor((l) => l.sessions.length >= 1 && l.sessions[0].subscribedAt === 300, 10000, 'the subscribe from 300');
    for (const e of allSourceEvents(250, { from: 100, tag: 'other' })) lost.append(e);
    let h;
    await waitFor(async () => {
      h = (await health(follower)).replication;
      return h.last_replayed_offset > 300 || h.last_error !== '';
    }, { timeoutMs: 10000, what: 'the follower to apply or refuse' });
    assert.equal(h.last_replayed_offset, 300, `it applied entries of another history: ${JSON.stringify(h)}`);
    assert.notEqual(h.last_error, '');
    assert.equal(h.caught_up, false);
  } finally {
    await follower.stop();
  }
});

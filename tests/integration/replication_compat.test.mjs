// Compatibility both ways with peers that speak only AllSource's seven messages (issue 4
// item 6; lib/allsource_peers.mjs): an AllSource follower of an Annal leader, and an Annal
// follower of an AllSource leader — including a damaged entry, which must be refetched, never
// skipped.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { stopAll, waitFor } from './lib/annal.mjs';
import { health, startFollower, startLeader, waitReplicated, writeEvents } from './lib/cluster.mjs';
import { makeAllSourceEvent, startAllSourceFollower, startAllSourceLeader } from './lib/allsource_peers.mjs';
import { get, post } from './lib/http.mjs';
import { readAll } from './lib/verify.mjs';

const peers = [];
after(async () => {
  for (const p of peers) await p.close();
  await stopAll();
});

test('an AllSource-only follower follows an Annal leader: contiguous, checksums valid, only the seven messages', async () => {
  const leader = await startLeader();
  await writeEvents(leader, 2000, { batch: 250 });
  const follower = await startAllSourceFollower({ leaderPort: leader.replPort });
  peers.push(follower);
  await follower.waitFor((f) => f.lastOffset === 2000, 30000, 'the backlog');
  await writeEvents(leader, 300, { batch: 7, tag: 'live' });
  await follower.waitFor((f) => f.lastOffset === 2300 && f.lastAcked === 2300, 30000, 'the live tail');
  assert.deepEqual(follower.errors, [], 'no protocol violation, no unknown message type');
  assert.ok(follower.caughtUp.length >= 1, 'caught_up was sent');
  // What it received is the leader's log, entry for entry.
  const all = await readAll(leader);
  for (const e of all) assert.equal(follower.entries.get(e.sequence)?.id, e.id, `entry ${e.sequence}`);
  await waitFor(async () => (await health(leader)).replication.followers_detail[0]?.acked_offset === 2300,
    { what: 'the AllSource acks to reach the leader' });
  const detail = (await health(leader)).replication.followers_detail[0];
  assert.equal(detail.protocol, 'allsource');
  assert.equal(detail.state, 'streaming');
});

test('semi-sync counts an AllSource follower\'s acks', async () => {
  const leader = await startLeader({ args: ['--replication-mode', 'semi-sync', '--ack-timeout-ms', '10000'] });
  const follower = await startAllSourceFollower({ leaderPort: leader.replPort });
  peers.push(follower);
  await follower.waitFor((f) => f.caughtUp.length >= 1, 10000, 'caught_up');
  const r = await post(leader, '/api/v1/events', { event_type: 'a.b', entity_id: 'x', payload: { k: 1 } });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.replication, { mode: 'semi_sync', acked: true, acks: 1, required: 1 });
  assert.equal(follower.entries.get(r.json.sequence)?.id, r.json.event_id);
});

test('an Annal follower follows an AllSource-only leader, and refetches a damaged entry', async () => {
  const events = Array.from({ length: 500 }, (_, i) => makeAllSourceEvent({
    entity_id: `acct-${i % 7}`, tenant_id: i % 2 ? 'default' : 'acme',
    payload: { i, note: 'x'.repeat(i % 50) }, metadata: i % 3 ? null : { by: `u${i}` },
  }));
  let damaged = 0;
  const leader = await startAllSourceLeader({
    events,
    // The first time entry 250 goes out, its AllSource checksum is wrong.
    transformEntry: (msg, { sequence }) => {
      if (sequence === 250 && damaged === 0) {
        damaged++;
        return { ...msg, data: { ...msg.data, checksum: (msg.data.checksum + 1) >>> 0 } };
      }
      return msg;
    },
  });
  peers.push(leader);
  const follower = await startFollower(leader.port);
  await waitReplicated(follower, 500);
  for (let i = 0; i < 100; i++) leader.append(makeAllSourceEvent({ entity_id: `acct-${i % 7}`, payload: { live: i } }));
  await waitReplicated(follower, 600);
  await leader.waitFor((l) => l.acked === 600, 10000, 'acks up to 600');

  const all = await readAll(follower);
  assert.equal(all.length, 600);
  const versions = new Map();
  all.forEach((e, i) => {
    const sent = leader.events[i];
    assert.equal(e.sequence, i + 1);
    assert.equal(e.id, sent.id);
    assert.equal(e.event_type, sent.event_type);
    assert.equal(e.entity_id, sent.entity_id);
    assert.equal(e.tenant_id, sent.tenant_id);
    assert.deepEqual(e.payload, sent.payload);
    assert.deepEqual(e.metadata, sent.metadata);
    assert.equal(e.timestamp, sent.timestamp);
    const key = `${e.tenant_id}/${e.entity_id}`;
    versions.set(key, (versions.get(key) ?? 0) + 1);
    assert.equal(e.entity_version, versions.get(key), 'entity versions assigned in stream order');
  });
  const h = (await health(follower)).replication;
  assert.equal(damaged, 1);
  assert.ok(h.reconnect_count >= 1, 'the damaged entry made it reconnect');
  assert.equal(h.corrupted_skipped, 0);
  assert.equal(h.total_replayed, 600, 'nothing applied twice');
  // Every subscribe after the first resumed from what was durable, never past the damage.
  const subs = leader.received.filter((m) => m.type === 'subscribe').map((m) => m.last_offset);
  assert.ok(subs.length >= 2 && subs.every((l) => l <= 249), `subscribes: ${subs}`);
  const w = await post(follower, '/api/v1/events', { event_type: 'a.b', entity_id: 'x', payload: {} });
  assert.equal(w.status, 409);
  assert.equal(w.json.error, 'read_only');
  const stats = await get(follower, '/api/v1/stats');
  assert.equal(stats.json.total_events, 600);
});

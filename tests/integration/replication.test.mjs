// Leader -> follower replication between real processes on loopback (DESIGN §5, issue 4):
// catch-up from the WAL by LSN, live streaming, restart without resync, read-only followers,
// ack modes, and a leader that shrugs off garbage on its replication port.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { startAnnal, stopAll, waitFor } from './lib/annal.mjs';
import {
  assertSameLogs, health, rawReplication, startFollower, startLeader, waitReplicated, writeEvents,
} from './lib/cluster.mjs';
import { get, post } from './lib/http.mjs';

after(stopAll);

test('a late follower receives exactly 1..last from the WAL, then the live tail', async () => {
  const leader = await startLeader();
  const last = await writeEvents(leader, 3000, { batch: 250 });
  assert.equal(last, 3000);
  const follower = await startFollower(leader);
  await waitReplicated(follower, 3000);
  // Live entries while the follower streams.
  const live = await writeEvents(leader, 500, { batch: 7, tag: 'live' });
  await waitReplicated(follower, live);
  assert.equal(await assertSameLogs(leader, follower), 3500);
  const h = (await health(leader)).replication;
  assert.equal(h.followers, 1);
  assert.equal(h.followers_detail[0].state, 'streaming');
  assert.equal(h.followers_detail[0].protocol, 'annal/1');
  const f = (await health(follower)).replication;
  assert.equal(f.connected, true);
  assert.equal(f.snapshots_received, 0);
  assert.equal(f.corrupted_skipped, 0);
  assert.equal(f.epoch, 1);
  // Reads work on the follower, with the leader's sequences and entity versions.
  const q = await get(follower, '/api/v1/events/query?entity_id=r-1&limit=3');
  assert.equal(q.status, 200);
  assert.deepEqual(q.json.events.map((e) => e.entity_version), [1, 2, 3]);
  await follower.stop();
  await leader.stop();
});

test('followers are read-only and name their leader', async () => {
  const leader = await startLeader();
  const follower = await startFollower(leader);
  const before = await writeEvents(leader, 10);
  await waitReplicated(follower, before);
  for (const [path, body] of [['/api/v1/events', { event_type: 'a.b', entity_id: 'x', payload: {} }],
                              ['/api/v1/events/batch', { events: [{ event_type: 'a.b', entity_id: 'x', payload: {} }] }]]) {
    const r = await post(follower, path, body);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.error, 'read_only');
    assert.equal(r.json.leader, `127.0.0.1:${leader.replPort}`);
  }
  assert.equal((await get(follower, '/api/v1/stats')).json.total_events, 10);
  // Repoint is for followers only; promote needs no token when none is configured.
  const rp = await post(leader, '/internal/repoint?leader=127.0.0.1:1', undefined);
  assert.equal(rp.status, 409, rp.text);
  const bad = await post(follower, '/internal/repoint', undefined);
  assert.equal(bad.status, 400, bad.text);
  const promoted = await post(leader, '/internal/promote', undefined);
  assert.equal(promoted.status, 200);
  assert.equal(promoted.json.status, 'already_leader');
});

test('a restarted follower resumes from its durable LSN without a snapshot', async () => {
  const leader = await startLeader();
  let follower = await startFollower(leader);
  await waitReplicated(follower, await writeEvents(leader, 1000));
  const dataDir = follower.dataDir;
  await follower.stop();
  await writeEvents(leader, 700, { tag: 'while-down' });
  follower = await startFollower(leader, { dataDir });
  await waitReplicated(follower, 1700);
  const detail = (await health(leader)).replication.followers_detail;
  assert.equal(detail.length, 1);
  assert.equal(detail[0].subscribed_from, 1000, 'resubscribed from its durable LSN');
  // SIGKILL: what it acked is durable, so it resumes at or after the last ack.
  await waitFor(async () => (await health(leader)).replication.followers_detail[0]?.acked_offset === 1700,
    { what: 'the follower to ack 1700' });
  await follower.kill();
  await writeEvents(leader, 300, { tag: 'after-kill' });
  follower = await startFollower(leader, { dataDir });
  await waitReplicated(follower, 2000);
  assert.equal((await health(follower)).replication.snapshots_received, 0);
  assert.equal(await assertSameLogs(leader, follower), 2000);
});

test('semi-sync: writes wait for a follower ack; without one they degrade or fail as configured', async () => {
  const degrade = await startLeader({ args: ['--replication-mode', 'semi-sync', '--ack-timeout-ms', '300'] });
  let r = await post(degrade, '/api/v1/events', { event_type: 'a.b', entity_id: 'x', payload: {} });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('x-replication-status'), 'degraded');
  assert.deepEqual(r.json.replication, { mode: 'semi_sync', acked: false, acks: 0, required: 1 });
  const follower = await startFollower(degrade);
  await waitFor(async () => (await health(degrade)).replication.followers_detail[0]?.state === 'streaming',
    { what: 'the follower to stream' });
  r = await post(degrade, '/api/v1/events', { event_type: 'a.b', entity_id: 'x', payload: {} });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('x-replication-status'), 'acked');
  assert.deepEqual(r.json.replication, { mode: 'semi_sync', acked: true, acks: 1, required: 1 });
  // The acked write is already on the follower when the client hears back.
  const onFollower = await get(follower, `/api/v1/events/${r.json.event_id}`);
  assert.equal(onFollower.status, 200, 'an acked semi-sync write is on the follower');

  const fail = await startLeader({ args: ['--replication-mode', 'sync', '--ack-timeout-ms', '200',
                                          '--on-ack-timeout', 'fail'] });
  r = await post(fail, '/api/v1/events', { event_type: 'a.b', entity_id: 'y', payload: {} });
  assert.equal(r.status, 503, r.text);
  assert.equal(r.json.error, 'replication_timeout');
  assert.equal(r.json.replication.acked, false);
  // Async reports its level too.
  const asyncLeader = await startLeader();
  r = await post(asyncLeader, '/api/v1/events', { event_type: 'a.b', entity_id: 'z', payload: {} });
  assert.equal(r.status, 200);
  assert.equal(r.json.replication.mode, 'async');
  assert.equal(r.json.replication.acked, true);
});

test('garbage, truncated lines and wrong message order close the connection; the leader is unaffected', async () => {
  const leader = await startLeader();
  const follower = await startFollower(leader);
  await waitReplicated(follower, await writeEvents(leader, 50));
  const cases = [
    'hello\n',
    '{"type":"subscribe","last_offset":\n',
    '{"type":"ack","offset":1}\n',                           // ack before subscribe
    '{"type":"wal_entry","offset":1}\n',
    '{"type":"subscribe","last_offset":999999}\n',           // ahead of the leader
    `${'x'.repeat(200000)}`,                                 // no newline at all, then close
    '\u0000\u0001\u0002\n',
  ];
  for (const bytes of cases) {
    const got = await rawReplication(leader.replPort, bytes, { timeoutMs: 20000 }).catch((e) => e);
    assert.ok(!(got instanceof Error) || bytes.endsWith('x'), `${JSON.stringify(bytes.slice(0, 40))}: ${got}`);
  }
  // A subscriber that then sends garbage instead of acks.
  const got = await rawReplication(leader.replPort, '{"type":"subscribe","last_offset":0}\n',
    { onFirstData: 'not json\n' });
  assert.ok(got.includes('"wal_entry"'), 'it was served before the garbage');
  assert.match(leader.log, /closing the session|sent a bad line|expected subscribe/);
  assert.ok(leader.running);
  await waitReplicated(follower, await writeEvents(leader, 50, { tag: 'after' }));
  assert.equal(await assertSameLogs(leader, follower), 100);
});

test('a leader refuses to start replication on a port in use; a follower needs --leader', async () => {
  const leader = await startLeader();
  const clash = await startAnnal({ args: ['--replication-port', String(leader.replPort)] }).catch((e) => e);
  assert.ok(clash instanceof Error);
  assert.match(clash.message, /replication listener/);
  const noLeader = await startAnnal({ args: ['--role', 'follower'] }).catch((e) => e);
  assert.ok(noLeader instanceof Error);
  assert.match(noLeader.message, /needs --leader/);
});

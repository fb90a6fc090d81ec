// Epochs, promotion and divergent suffixes (DESIGN §5.7, issue 4): a follower is promoted after
// its leader dies with writes the follower never got; the old leader rejoins as a follower and
// a second follower is repointed. Both truncate their divergent suffix (also inside Parquet
// files) before applying anything, and all three nodes end with identical logs.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { startAnnal, stopAll, waitFor } from './lib/annal.mjs';
import {
  assertSameLogs, health, logIds, replAddress, startFollower, startLeader, waitReplicated, writeEvents,
} from './lib/cluster.mjs';
import { get, post } from './lib/http.mjs';
import { waitForCheckpoint } from './lib/storage.mjs';

after(stopAll);

const FAST_CHECKPOINTS = ['--checkpoint-interval', '100ms'];

test('promotion, then the old leader and a stale follower rejoin: divergent suffixes are truncated', async () => {
  let a = await startLeader({ args: FAST_CHECKPOINTS });
  let b = await startFollower(a, { args: ['--replication-port', '0'] });
  let c = await startFollower(a, { args: FAST_CHECKPOINTS });
  await writeEvents(a, 1000, { tag: 'e1' });
  await waitReplicated(b, 1000);
  await waitReplicated(c, 1000);

  // B stops; A takes 200 more writes that only A and C get; A's are checkpointed to Parquet.
  const bDir = b.dataDir;
  await b.stop();
  await writeEvents(a, 200, { tag: 'lost' });
  await waitReplicated(c, 1200);
  await waitForCheckpoint(a.dataDir, 1200);
  await waitForCheckpoint(c.dataDir, 1200);
  const lostIds = (await logIds(a)).slice(1000);
  const aDir = a.dataDir;
  await a.kill();

  // B comes back as a follower of the dead leader, and is promoted to epoch 2.
  b = await startFollower(a, { dataDir: bDir, args: ['--replication-port', '0'] });
  const promoted = await post(b, '/internal/promote', undefined);
  assert.equal(promoted.status, 200, promoted.text);
  assert.equal(promoted.json.status, 'promoted');
  assert.equal(promoted.json.role, 'leader');
  assert.equal(promoted.json.epoch, 2);
  assert.equal(promoted.json.last_offset, 1000);
  b.replPort = promoted.json.replication_port;
  assert.ok(b.replPort > 0);
  assert.equal((await health(b)).role, 'leader');
  await writeEvents(b, 300, { tag: 'e2' });

  // C is repointed to B: its entries 1001..1200 (epoch 1) are not in B's log.
  const rp = await post(c, `/internal/repoint?leader=${replAddress(b)}`, undefined);
  assert.equal(rp.status, 200, rp.text);
  assert.deepEqual(rp.json, { status: 'repointed', new_leader: replAddress(b) });
  await waitReplicated(c, 1300);

  // A rejoins as a follower of B.
  a = await startFollower(b, { dataDir: aDir, args: FAST_CHECKPOINTS });
  await waitReplicated(a, 1300);

  assert.equal(await assertSameLogs(a, b, c), 1300);
  for (const node of [a, c]) {
    const ids = new Set(await logIds(node));
    assert.equal(lostIds.filter((id) => ids.has(id)).length, 0, 'the divergent suffix is gone');
    const h = (await health(node)).replication;
    assert.equal(h.truncations, 1);
    assert.equal(h.epoch, 2);
  }
  // The truncated suffix is gone from what survives a restart too (Parquet + WAL).
  await a.stop();
  a = await startAnnal({ dataDir: aDir });
  assert.equal((await get(a, '/api/v1/stats')).json.total_events, 1300);
  assert.equal(await assertSameLogs(a, b), 1300);
});

test('internal endpoints require the cluster token when one is set', async () => {
  const leader = await startLeader({ args: ['--cluster-token', 's3cret'] });
  const follower = await startFollower(leader, { args: ['--cluster-token', 's3cret', '--replication-port', '0'] });
  await waitReplicated(follower, await writeEvents(leader, 5));
  for (const headers of [{}, { 'x-cluster-token': 'wrong' }, { authorization: 'Bearer nope' }]) {
    const r = await post(follower, '/internal/promote', undefined, { headers });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json.error, 'unauthorized');
  }
  assert.equal((await health(follower)).role, 'follower', 'a refused promote changed nothing');
  const ok = await post(follower, '/internal/promote', undefined, { headers: { authorization: 'Bearer s3cret' } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((await health(follower)).role, 'leader');
  const w = await post(follower, '/api/v1/events', { event_type: 'a.b', entity_id: 'x', payload: {} });
  assert.equal(w.status, 200, 'a promoted node takes writes');
  assert.equal(w.json.sequence, 6);
});

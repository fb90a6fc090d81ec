// SIGKILL of the leader under semi-sync and sync load (issue 4): every write the leader
// acknowledged as replicated ("replication":{"acked":true}) is on the follower(s) that acked it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';

import { sleep, stopAll, waitFor } from './lib/annal.mjs';
import { health, logIds, startFollower, startLeader } from './lib/cluster.mjs';

after(stopAll);

// Concurrent single-event writers; records the ids whose response said acked:true.
function startWriters(leader, clients) {
  const state = { acked: [], other: 0, stop: false, loops: [] };
  for (let c = 0; c < clients; c++) {
    state.loops.push((async () => {
      for (let i = 0; !state.stop; i++) {
        const event_id = randomUUID();
        try {
          const res = await fetch(`${leader.url}/api/v1/events`, {
            method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ event_id, event_type: 'crash.test', entity_id: `c${c}-${i % 5}`, payload: { i } }),
            signal: AbortSignal.timeout(20000),
          });
          const json = await res.json();
          if (res.status === 200 && json.replication?.acked === true) state.acked.push(event_id);
          else state.other++;
        } catch {
          if (!leader.running) return;
          await sleep(10);
        }
      }
    })());
  }
  return state;
}

async function killLeaderUnderLoad(mode, followerCount) {
  const leader = await startLeader({ args: ['--replication-mode', mode, '--ack-timeout-ms', '5000'] });
  const followers = [];
  for (let i = 0; i < followerCount; i++) followers.push(await startFollower(leader));
  await waitFor(async () => {
    const d = (await health(leader)).replication.followers_detail;
    return d.length === followerCount && d.every((f) => f.state === 'streaming');
  }, { what: `${followerCount} streaming followers` });
  const writers = startWriters(leader, 16);
  await waitFor(() => writers.acked.length >= 400, { timeoutMs: 60000, what: '400 acked writes' });
  await leader.kill();
  writers.stop = true;
  await Promise.all(writers.loops);
  assert.ok(writers.acked.length >= 400);
  // The followers keep what they have; let them finish applying what they received.
  for (const f of followers) {
    const ids = new Set(await logIds(f));
    const missing = writers.acked.filter((id) => !ids.has(id));
    assert.equal(missing.length, 0,
      `${mode}: ${missing.length} of ${writers.acked.length} acknowledged writes are missing on a follower`);
  }
  return writers.acked.length;
}

test('semi-sync: SIGKILL of the leader loses no acknowledged write', async () => {
  await killLeaderUnderLoad('semi-sync', 1);
});

test('sync: SIGKILL of the leader loses no acknowledged write on any in-sync follower', async () => {
  await killLeaderUnderLoad('sync', 2);
});

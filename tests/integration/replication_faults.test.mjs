// Link faults between an Annal follower and its leader, through lib/tcp_proxy.mjs (issue 4): a
// slow (throttled) link, cut connections (also mid catch-up), refused reconnects and a stalled
// link. Nothing is lost or duplicated, the follower converges, and the leader does not buffer a
// backlog for a slow follower (its memory grows no more than the follower's, which holds the
// same events).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, test } from 'node:test';

import { sleep, stopAll, waitFor } from './lib/annal.mjs';
import {
  assertSameLogs, health, logIds, startFollower, startLeader, waitReplicated, writeEvents,
} from './lib/cluster.mjs';
import { post } from './lib/http.mjs';
import { startProxy } from './lib/tcp_proxy.mjs';

const proxies = [];
after(async () => {
  for (const p of proxies) await p.close();
  await stopAll();
});

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
}

async function leaderDetail(leader) {
  return (await health(leader)).replication.followers_detail[0];
}

// A leader, a proxy to its replication port, and a follower through the proxy that has
// replicated `initial` events.
async function proxiedCluster({ leaderArgs = [], initial = 100 } = {}) {
  const leader = await startLeader({ args: leaderArgs });
  const proxy = await startProxy({ targetPort: leader.replPort });
  proxies.push(proxy);
  const follower = await startFollower(proxy.port);
  await waitReplicated(follower, await writeEvents(leader, initial));
  return { leader, proxy, follower };
}

// The follower converged on `last`: identical logs, every entry applied exactly once, and the
// leader is back to one streaming session with nothing unacked.
async function assertConverged(leader, follower, last) {
  await waitReplicated(follower, last, { timeoutMs: 60000 });
  assert.equal(await assertSameLogs(leader, follower), last);
  const h = (await health(follower)).replication;
  assert.equal(h.total_replayed, last, `every entry applied once: ${JSON.stringify(h)}`);
  assert.equal(h.corrupted_skipped, 0);
  await waitFor(async () => {
    const r = (await health(leader)).replication;
    return r.followers === 1 && r.followers_detail.length === 1 &&
           r.followers_detail[0].state === 'streaming' && r.followers_detail[0].acked_offset === last;
  }, { what: 'one streaming session on the leader, acked to the end (no stale sessions)' });
}

test('a throttled follower falls far behind and converges; the leader keeps no backlog for it', async () => {
  const { leader, proxy, follower } = await proxiedCluster();
  const leader0 = rssMiB(leader.pid);
  const follower0 = rssMiB(follower.pid);

  proxy.setThrottle(256 * 1024);
  let leaderPeak = leader0;
  const sampler = setInterval(() => { leaderPeak = Math.max(leaderPeak, rssMiB(leader.pid)); }, 100);
  let last = 0;
  const started = Date.now();
  try {
    // Batches of 100 events of ~150 payload bytes, at most one batch per 20 ms (~5,000 events/s),
    // for several seconds and at least 20,000 events.
    for (let b = 0; last < 20100 || Date.now() - started < 4000; b++) {
      const due = started + b * 20;
      if (Date.now() < due) await sleep(due - Date.now());
      const events = Array.from({ length: 100 }, (_, j) => ({
        event_type: 'slow.test', entity_id: `slow-${j % 17}`,
        payload: { b, j, pad: randomUUID().repeat(4) },
      }));
      const r = await post(leader, '/api/v1/events/batch', { events });
      assert.equal(r.status, 200, r.text);
      last = r.json.events.at(-1).sequence;
    }
    const writeMs = Date.now() - started;
    const behind = await leaderDetail(leader);
    const followerBehind = (await health(follower)).replication;
    assert.ok(behind.lag_entries > 10000, `the follower is far behind: ${JSON.stringify(behind)}`);
    assert.ok(followerBehind.last_replayed_offset < last - 10000,
      `the follower has not got most of it: ${JSON.stringify(followerBehind)}`);
    // Stay throttled a little longer: a leader that buffered the backlog would show it now.
    await sleep(500);
    leaderPeak = Math.max(leaderPeak, rssMiB(leader.pid));
    clearInterval(sampler);
    const bytes = proxy.stats().bytesDown;

    proxy.setThrottle(null);
    const unthrottled = Date.now();
    await assertConverged(leader, follower, last);
    const catchUpMs = Date.now() - unthrottled;
    const leaderGrowth = rssMiB(leader.pid) - leader0;
    const followerGrowth = rssMiB(follower.pid) - follower0;
    console.log(`throttled: ${last} events written in ${writeMs} ms, follower ${behind.lag_entries} entries ` +
                `behind (${(bytes / 1048576).toFixed(1)} MiB through the link); leader RSS +` +
                `${(leaderPeak - leader0).toFixed(1)} MiB at most while it lagged, +${leaderGrowth.toFixed(1)} MiB ` +
                `at the end; follower +${followerGrowth.toFixed(1)} MiB; caught up ${catchUpMs} ms after the throttle went`);
    assert.ok(leaderPeak - leader0 <= followerGrowth + 48,
      `the leader grew ${(leaderPeak - leader0).toFixed(1)} MiB while the follower lagged, the follower ` +
      `${followerGrowth.toFixed(1)} MiB for the same events`);
  } finally {
    clearInterval(sampler);
  }
});

// Writes single events with client ids until stopped; records the ids whose response said the
// write reached its ack level.
function startWriter(leader) {
  const w = { acked: [], degraded: 0, written: 0, stop: false };
  w.done = (async () => {
    while (!w.stop) {
      const event_id = randomUUID();
      const res = await fetch(`${leader.url}/api/v1/events`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event_id, event_type: 'cut.test', entity_id: `c-${w.written % 9}`, payload: { n: w.written } }),
        signal: AbortSignal.timeout(20000),
      });
      const json = await res.json();
      assert.equal(res.status, 200, JSON.stringify(json));
      w.written++;
      if (json.replication?.acked) w.acked.push(event_id);
      else w.degraded++;
    }
  })();
  return w;
}

for (const mode of ['async', 'semi-sync']) {
  test(`${mode}: cut connections and refused reconnects under writes: nothing lost or duplicated`, async () => {
    const { leader, proxy, follower } = await proxiedCluster({
      leaderArgs: ['--replication-mode', mode, '--ack-timeout-ms', '500'], initial: 50,
    });
    const writer = startWriter(leader);
    // A fresh, caught-up connection after `reconnects` reconnections (a cut is noticed only
    // when the follower reads the closed socket, so "connected" alone may be stale).
    const streamingAfter = (reconnects) => async () => {
      const h = (await health(follower)).replication;
      return h.connected && h.caught_up && h.reconnect_count >= reconnects;
    };
    let reconnectsBefore;
    try {
      for (let cut = 1; cut <= 5; cut++) {
        await waitFor(streamingAfter(cut - 1), { what: `the follower to stream again after ${cut - 1} cuts` });
        const target = writer.written + 60;
        await waitFor(() => writer.written >= target, { what: `${target} writes` });
        proxy.cutAll();
      }
      await waitFor(streamingAfter(5), { what: 'the follower to stream again after 5 cuts' });
      reconnectsBefore = (await health(follower)).replication.reconnect_count;
      proxy.setRefuse(true);
      proxy.cutAll();
      // Semi-sync writes wait out their ack timeout while no follower is connected.
      const target = writer.written + (mode === 'semi-sync' ? 6 : 100);
      await waitFor(() => writer.written >= target && proxy.stats().refused >= 2,
        { what: `${target} writes and two refused reconnects while refused` });
      proxy.setRefuse(false);
      await waitFor(streamingAfter(reconnectsBefore + 1), { what: 'the follower to reconnect' });
      await waitFor(() => writer.written >= target + 60, { what: 'writes after the link is back' });
    } finally {
      writer.stop = true;
      await writer.done;
    }
    const last = (await health(leader)).replication.leader_offset;
    assert.equal(last, 50 + writer.written);
    await assertConverged(leader, follower, last);
    const h = (await health(follower)).replication;
    assert.ok(h.reconnect_count > reconnectsBefore && h.reconnect_count >= 6, `reconnects: ${h.reconnect_count}`);
    console.log(`${mode}: ${writer.written} writes (${writer.acked.length} acked, ${writer.degraded} degraded), ` +
                `${h.reconnect_count} reconnects, ${proxy.stats().refused} refused`);
    if (mode === 'semi-sync') {
      assert.ok(writer.acked.length > 0);
      assert.ok(writer.degraded > 0, 'writes while the link was refused degraded');
      const ids = new Set(await logIds(follower));
      assert.equal(writer.acked.filter((id) => !ids.has(id)).length, 0, 'every acked write is on the follower');
    }
  });
}

test('cuts in the middle of a catch-up: the follower resumes from its durable LSN each time', async () => {
  const { leader, proxy, follower } = await proxiedCluster();
  proxy.pause();
  const last = await writeEvents(leader, 20000, { batch: 500, tag: 'backlog' });
  let cuts = 0;
  let from = (await health(follower)).replication.last_replayed_offset;
  assert.equal(from, 100);
  // ~7 MB of backlog at 512 KiB/s: ~14 s to stream, so five cuts ~2000 entries apart fit well
  // inside it even when health polls are slow on a loaded machine (the throttle goes after them).
  proxy.setThrottle(512 * 1024);
  proxy.resume();
  // Cut whenever it got another 2,000 entries further, while the backlog is still streaming (so
  // there are partial lines in flight).
  while (cuts < 5) {
    let h;
    await waitFor(async () => {
      h = (await health(follower)).replication;
      return h.connected && h.last_replayed_offset >= from + 2000;
    }, { timeoutMs: 30000, what: `the follower to get 2000 entries past ${from}` });
    if (h.last_replayed_offset >= last - 2000) break;
    proxy.cutAll();
    cuts++;
    from = h.last_replayed_offset;
  }
  assert.ok(cuts >= 3, `only ${cuts} cuts before the follower caught up`);
  proxy.setThrottle(null);
  await assertConverged(leader, follower, last);
  const h = (await health(follower)).replication;
  assert.ok(h.reconnect_count >= cuts, `reconnects ${h.reconnect_count}, cuts ${cuts}`);
  // Every resubscribe was from an LSN it had durably, so the leader never re-sent what it had.
  const d = await leaderDetail(leader);
  assert.ok(d.subscribed_from >= from, `last subscribe from ${d.subscribed_from}, it had ${from}`);
  console.log(`catch-up: ${cuts} cuts mid-stream, ${h.reconnect_count} reconnects, converged at ${last}`);
});

test('a stalled link: the leader sees the lag grow; after it resumes the follower converges', async () => {
  const { leader, proxy, follower } = await proxiedCluster();
  proxy.pause();
  const last = await writeEvents(leader, 2000, { tag: 'stalled' });
  await waitFor(async () => (await leaderDetail(leader)).lag_entries >= 2000,
    { what: 'the leader to report the stalled follower\'s lag' });
  const lagMs = (await leaderDetail(leader)).lag_ms;
  await sleep(300);
  assert.ok((await leaderDetail(leader)).lag_ms >= lagMs + 250, 'the leader\'s lag in ms keeps growing');
  // The stall holds: nothing arrives while paused.
  assert.equal((await health(follower)).replication.last_replayed_offset, 100);
  proxy.resume();
  await assertConverged(leader, follower, last);
  await waitFor(async () => (await leaderDetail(leader)).lag_entries === 0, { what: 'lag back to 0' });
});

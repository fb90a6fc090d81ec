// Snapshot catch-up (DESIGN §5.4, issue 4): a follower older than the leader's oldest retained
// WAL entry gets the pinned Parquet files (streamed in 512 KiB chunks to a staging dir,
// verified, installed atomically), then the WAL from the next LSN — with writes continuing
// during the transfer: no gap, no duplicate. A restarted follower resumes without a snapshot.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';

import { stopAll, waitFor } from './lib/annal.mjs';
import { assertSameLogs, health, startFollower, startLeader, waitReplicated, writeEvents } from './lib/cluster.mjs';
import { waitForCheckpoint } from './lib/storage.mjs';

after(stopAll);

// Small segments, no retention and frequent checkpoints: old WAL segments go away quickly.
const SHORT_WAL = ['--wal-segment-bytes', '65536', '--wal-retention', '0', '--checkpoint-interval', '100ms'];

function oldestWalLsn(dataDir) {
  const names = fs.readdirSync(path.join(dataDir, 'wal')).filter((n) => /^wal-\d{20}\.log$/.test(n)).sort();
  return names.length ? Number(names[0].slice(4, 24)) : 0;
}

test('a follower beyond the WAL range gets a snapshot, then the live tail, with writes during the transfer', async () => {
  const leader = await startLeader({ args: SHORT_WAL });
  // ~20k events of ~200 B: several Parquet files' worth and many 64 KiB segments.
  await writeEvents(leader, 20000, { batch: 500, tag: 'old' });
  await waitForCheckpoint(leader.dataDir, 20000);
  await waitFor(() => oldestWalLsn(leader.dataDir) > 1, { what: 'the first WAL segment to be deleted' });

  // Writes keep going while the follower subscribes and receives the snapshot.
  let writing = true;
  let written = 20000;
  const writer = (async () => {
    while (writing) written = await writeEvents(leader, 50, { batch: 50, tag: 'during' });
  })();
  const follower = await startFollower(leader);
  await waitFor(async () => (await health(follower)).replication.snapshots_received >= 1,
    { timeoutMs: 60000, what: 'the snapshot to be installed' });
  writing = false;
  await writer;
  await waitReplicated(follower, written);
  assert.equal(await assertSameLogs(leader, follower), written);
  const detail = (await health(leader)).replication.followers_detail[0];
  assert.equal(detail.snapshots_sent, 1);
  assert.ok(!fs.existsSync(path.join(follower.dataDir, 'replication-staging')) ||
            fs.readdirSync(path.join(follower.dataDir, 'replication-staging')).length === 0,
            'the staging dir is cleaned up');

  // A restarted follower resumes from its durable LSN: no second snapshot. The next events are
  // written once it is back: with --wal-retention 0, writes while it is down may rotate and
  // checkpoint the segment it would resume from, and then a snapshot is the right answer.
  const dataDir = follower.dataDir;
  await follower.stop();
  const again = await startFollower(leader, { dataDir });
  await waitFor(async () => (await health(again)).replication.caught_up === true,
    { timeoutMs: 60000, what: 'the restarted follower to be streaming from the leader again' });
  await writeEvents(leader, 100, { tag: 'after' });
  await waitReplicated(again, written + 100);
  assert.equal((await health(again)).replication.snapshots_received, 0);
  assert.equal(await assertSameLogs(leader, again), written + 100);
});

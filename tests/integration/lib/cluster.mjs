// Leader/follower clusters of real `annal serve` processes for the replication tests.
import assert from 'node:assert/strict';
import net from 'node:net';

import { startAnnal, waitFor } from './annal.mjs';
import { get, post } from './http.mjs';
import { readAll } from './verify.mjs';

// A leader serving replication on a free port (parsed from its log: "replication listening on").
export async function startLeader({ dataDir, args = [] } = {}) {
  const server = await startAnnal({ dataDir, args: ['--replication-port', '0', ...args] });
  await waitFor(() => {
    const m = /replication listening on [^\s]*:(\d+)/.exec(server.log);
    if (m) server.replPort = Number(m[1]);
    return Boolean(m);
  }, { what: 'the replication port in the leader log' });
  return server;
}

export function replAddress(leaderOrPort) {
  const port = typeof leaderOrPort === 'number' ? leaderOrPort : leaderOrPort.replPort;
  return `127.0.0.1:${port}`;
}

// A follower of `leader` (a server from startLeader, or a port number, e.g. of a proxy).
export async function startFollower(leader, { dataDir, args = [] } = {}) {
  return startAnnal({ dataDir, args: ['--role', 'follower', '--leader', replAddress(leader), ...args] });
}

export async function health(server) {
  const r = await get(server, '/health');
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// Waits until the follower has every entry up to `lsn` durably.
export async function waitReplicated(follower, lsn, { timeoutMs = 60000 } = {}) {
  let last;
  try {
    await waitFor(async () => {
      try {
        last = (await health(follower)).replication;
      } catch (e) {
        last = `health failed: ${e.message}`;
        return false;
      }
      return last.last_replayed_offset >= lsn;
    }, { timeoutMs, what: `follower to reach LSN ${lsn}` });
  } catch (e) {
    throw new Error(`${e.message}; last health: ${JSON.stringify(last)}\n${follower.tail(15)}`);
  }
}

// sequence -> event id of every event a node serves, as an array indexed by sequence - 1.
export async function logIds(server) {
  const all = await readAll(server);
  all.forEach((e, i) => assert.equal(e.sequence, i + 1, `gap at position ${i}`));
  return all.map((e) => e.id);
}

// Asserts that the nodes hold identical logs (same id at every sequence).
export async function assertSameLogs(...servers) {
  const logs = await Promise.all(servers.map(logIds));
  for (let i = 1; i < logs.length; i++) {
    assert.equal(logs[i].length, logs[0].length, `node ${i} has ${logs[i].length} events, node 0 ${logs[0].length}`);
    for (let s = 0; s < logs[0].length; s++) {
      if (logs[i][s] !== logs[0][s]) assert.fail(`node ${i} differs at sequence ${s + 1}: ${logs[i][s]} vs ${logs[0][s]}`);
    }
  }
  return logs[0].length;
}

// Appends `n` events in batches of `batch`; returns the last sequence.
export async function writeEvents(server, n, { batch = 100, tag = 'r' } = {}) {
  let last = 0;
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    const events = Array.from({ length: k }, (_, j) => ({
      event_type: 'repl.test', entity_id: `${tag}-${(i + j) % 13}`, payload: { i: i + j, pad: 'p'.repeat(40) },
    }));
    const r = await post(server, '/api/v1/events/batch', { events });
    assert.equal(r.status, 200, r.text);
    last = r.json.events[r.json.events.length - 1].sequence;
  }
  return last;
}

// Opens a raw TCP connection, sends `bytes`, and resolves with what came back once the peer
// closed the connection (or rejects after `timeoutMs`). `onFirstData` is sent once the peer
// has sent something.
export function rawReplication(port, bytes, { timeoutMs = 15000, onFirstData } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('the leader did not close the connection')); }, timeoutMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => {
      if (!got && onFirstData) sock.write(onFirstData);
      got += d;
    });
    sock.on('error', () => {});
    sock.on('close', () => { clearTimeout(timer); resolve(got); });
  });
}

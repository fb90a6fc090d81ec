// Minimal replication peers that speak ONLY AllSource's seven messages (docs/replication.md) and
// none of Annal's extensions: they never send epoch, crc32c, node_id or protocol, so an Annal
// node must treat them exactly as it would treat AllSource.
//
//   startAllSourceFollower({leaderHost, leaderPort, lastOffset, ackEvery}) — subscribes to an
//     Annal leader (or the test leader below), checks every wal_entry (JSON, offset ===
//     data.sequence, contiguity, AllSource checksum), keeps what it received in memory, acks.
//   startAllSourceLeader({events}) — serves a fixed, appendable log in AllSource's wal_entry shape
//     to Annal followers, records what they send (acks).
//
// Both keep everything in memory: they are for tests with thousands of events, not millions.
// Node built-ins only.
import { randomUUID } from 'node:crypto';
import net from 'node:net';

import {
  ALLSOURCE_TYPES, LineReader, ackMsg, allSourceChecksum, caughtUpMsg, decode, encode,
  parseRfc3339, subscribeMsg, walEntryMsg,
} from './replication_wire.mjs';

export const SNAPSHOT_CHUNK_BYTES = 512 * 1024;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isOffset = (v) => Number.isSafeInteger(v) && v >= 0;
const short = (s, n = 200) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);

// Polls `predicate(subject)` every 10 ms until it is truthy (and returns its value), or rejects
// after `timeoutMs` with `what` and `describe()` — the peer's state — in the message.
async function pollUntil(subject, predicate, timeoutMs, what, describe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate(subject);
    if (v) return v;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what ?? String(predicate)}; ` +
                      describe());
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

// A random event in the shape startAllSourceLeader expects: uuid id, microsecond 'Z' timestamp
// (strictly increasing within this process, so a log built from these is time-ordered).
let lastMicros = 0n;
export function makeAllSourceEvent(overrides = {}) {
  let micros = BigInt(Date.now()) * 1000n;
  if (micros <= lastMicros) micros = lastMicros + 1n;
  lastMicros = micros;
  const iso = new Date(Number(micros / 1000n)).toISOString();  // …SS.mmmZ
  const timestamp = `${iso.slice(0, 23)}${String(micros % 1000n).padStart(3, '0')}Z`;
  return {
    id: randomUUID(),
    event_type: 'test.replicated',
    entity_id: `entity-${randomUUID().slice(0, 8)}`,
    tenant_id: 'default',
    payload: { n: Number(micros % 1000000n) },
    metadata: null,
    timestamp,
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// Follower.

// startAllSourceFollower({leaderHost='127.0.0.1', leaderPort, lastOffset=0, ackEvery=1,
//                         maxLineBytes}) → follower, once connected and subscribed.
// Rejects if the connection cannot be made.
//
// Sends {"type":"subscribe","last_offset":lastOffset}, then for each line:
//   wal_entry      checks shape, offset === data.sequence, offset === lastOffset + 1 and the
//                  AllSource checksum; any violation is recorded in `errors` and the socket is
//                  destroyed (never skipped, DESIGN §5.2). Otherwise stores it and, every
//                  `ackEvery` entries, sends a cumulative {"type":"ack","offset":lastOffset}.
//   caught_up      records current_offset in `caughtUp`; acks lastOffset if not yet acked.
//   snapshot_*     decodes chunks into memory per file (chunk_offset must continue the file,
//                  base64 must be canonical), records wal_offset_after_snapshot, and continues
//                  the log at that offset (the next wal_entry must be walOffsetAfter + 1).
//   anything else  recorded in `errors` (an Annal leader must not send other types to a peer
//                  that did not say "protocol":"annal/1"); the connection is kept.
// Unknown fields (e.g. Annal's epoch / crc32c on wal_entry) are ignored, as AllSource does.
//
// Exposes:
//   entries       Map offset → {id, event, walTimestamp, checksum}
//   lastOffset    highest contiguous offset received (starts at the subscribed lastOffset)
//   lastAcked     highest offset acked so far (0 = none)
//   caughtUp      array of caught_up current_offset values, in arrival order
//   snapshot      null, or {files: Map name → Buffer (complete files), announced: [names],
//                 walOffsetAfter (null until snapshot_end), done: bool}; replaced on each
//                 snapshot_start; `snapshots` counts them
//   errors        protocol violations, as strings (a clean run leaves it empty)
//   socketError   the last socket error message, if any (e.g. ECONNRESET after a cut); not a
//                 protocol error
//   closed        true once the connection is closed (by either side)
//   trailingBytes bytes of an unterminated last line when the connection closed
//   received      count of lines received
//   waitFor(predicate, timeoutMs=10000, what?)  polls predicate(follower) until truthy
//   ack(offset)   sends an ack now (for tests that drive acks by hand; use ackEvery=Infinity)
//   sendRaw(str)  writes raw bytes (for malformed-input tests)
//   close()       destroys the connection; resolves when it is closed
export async function startAllSourceFollower({
  leaderHost = '127.0.0.1', leaderPort, lastOffset = 0, ackEvery = 1, maxLineBytes,
} = {}) {
  if (!isOffset(lastOffset)) throw new Error(`startAllSourceFollower: bad lastOffset ${lastOffset}`);
  const socket = net.connect({ host: leaderHost, port: leaderPort });
  socket.setNoDelay(true);

  let unacked = 0;
  let snapshotParts = null;  // name → {parts: Buffer[], bytes, complete}

  const f = {
    entries: new Map(),
    lastOffset,
    lastAcked: 0,
    caughtUp: [],
    snapshot: null,
    snapshots: 0,
    errors: [],
    socketError: null,
    closed: false,
    trailingBytes: 0,
    received: 0,
    socket,

    ack(offset) {
      if (socket.destroyed) return;
      socket.write(encode(ackMsg(offset)));
      if (offset > f.lastAcked) f.lastAcked = offset;
      unacked = 0;
    },

    sendRaw(str) { if (!socket.destroyed) socket.write(str); },

    waitFor(predicate, timeoutMs = 10000, what) {
      return pollUntil(f, predicate, timeoutMs, what, () =>
        `follower state: lastOffset=${f.lastOffset} entries=${f.entries.size} lastAcked=${f.lastAcked} ` +
        `caughtUp=${JSON.stringify(f.caughtUp.slice(-5))} closed=${f.closed} ` +
        `errors=${JSON.stringify(f.errors.slice(0, 5))}` +
        (f.socketError ? ` socketError=${f.socketError}` : ''));
    },

    close() {
      if (f.closed) return Promise.resolve();
      return new Promise((resolve) => { socket.once('close', () => resolve()); socket.destroy(); });
    },
  };

  // A protocol violation: record it and drop the connection.
  // Nothing after the violation is looked at (the reader stops mid-chunk).
  let reader = null;
  const fatal = (msg) => {
    f.errors.push(msg);
    reader?.stop();
    socket.destroy();
  };

  const onWalEntry = (m, line) => {
    const d = m.data;
    if (!isOffset(m.offset) || !isObject(d) || !isOffset(d.sequence) ||
        typeof d.wal_timestamp !== 'string' || !isObject(d.event) || typeof d.event.id !== 'string' ||
        !Number.isSafeInteger(d.checksum)) {
      return fatal(`wal_entry of the wrong shape: ${short(line)}`);
    }
    const ev = d.event;
    for (const k of ['event_type', 'entity_id', 'timestamp']) {
      if (typeof ev[k] !== 'string') return fatal(`wal_entry ${m.offset}: event.${k} missing or not a string`);
    }
    if (!('payload' in ev)) return fatal(`wal_entry ${m.offset}: event.payload missing`);
    if (m.offset !== d.sequence) return fatal(`wal_entry offset ${m.offset} != data.sequence ${d.sequence}`);
    if (f.snapshot && !f.snapshot.done) return fatal(`wal_entry ${m.offset} during a snapshot transfer`);
    if (m.offset !== f.lastOffset + 1) {
      return fatal(`wal_entry offset ${m.offset} is not last + 1 (last = ${f.lastOffset})`);
    }
    let expected;
    try {
      expected = allSourceChecksum(d.sequence, d.wal_timestamp, ev.id);
      parseRfc3339(ev.timestamp);
    } catch (e) {
      return fatal(`wal_entry ${m.offset}: ${e.message}`);
    }
    if (expected !== d.checksum) {
      return fatal(`wal_entry ${m.offset}: checksum ${d.checksum} != expected ${expected}`);
    }
    f.entries.set(m.offset, { id: ev.id, event: ev, walTimestamp: d.wal_timestamp, checksum: d.checksum });
    f.lastOffset = m.offset;
    if (++unacked >= ackEvery) f.ack(f.lastOffset);
  };

  const onSnapshotStart = (m, line) => {
    if (!Array.isArray(m.parquet_files) || !m.parquet_files.every((n) => typeof n === 'string' && n)) {
      return fatal(`snapshot_start of the wrong shape: ${short(line)}`);
    }
    if (new Set(m.parquet_files).size !== m.parquet_files.length) {
      return fatal(`snapshot_start names a file twice: ${short(line)}`);
    }
    f.snapshots++;
    f.snapshot = { files: new Map(), announced: [...m.parquet_files], walOffsetAfter: null, done: false };
    snapshotParts = new Map(m.parquet_files.map((n) => [n, { parts: [], bytes: 0, complete: false }]));
  };

  const onSnapshotChunk = (m, line) => {
    if (typeof m.filename !== 'string' || typeof m.data !== 'string' || !isOffset(m.chunk_offset) ||
        typeof m.is_last !== 'boolean') {
      return fatal(`snapshot_chunk of the wrong shape: ${short(line)}`);
    }
    if (!f.snapshot || f.snapshot.done) return fatal(`snapshot_chunk outside a snapshot: ${m.filename}`);
    const file = snapshotParts.get(m.filename);
    if (!file) return fatal(`snapshot_chunk for a file not in snapshot_start: ${m.filename}`);
    if (file.complete) return fatal(`snapshot_chunk after the last chunk of ${m.filename}`);
    if (m.chunk_offset !== file.bytes) {
      return fatal(`snapshot_chunk ${m.filename}: chunk_offset ${m.chunk_offset}, expected ${file.bytes}`);
    }
    const bytes = Buffer.from(m.data, 'base64');
    if (bytes.toString('base64') !== m.data) return fatal(`snapshot_chunk ${m.filename}: non-canonical base64`);
    file.parts.push(bytes);
    file.bytes += bytes.length;
    if (m.is_last) {
      file.complete = true;
      f.snapshot.files.set(m.filename, Buffer.concat(file.parts, file.bytes));
      file.parts = [];
    }
  };

  const onSnapshotEnd = (m, line) => {
    if (!isOffset(m.wal_offset_after_snapshot)) return fatal(`snapshot_end of the wrong shape: ${short(line)}`);
    if (!f.snapshot || f.snapshot.done) return fatal('snapshot_end outside a snapshot');
    const missing = [...snapshotParts].filter(([, file]) => !file.complete).map(([n]) => n);
    if (missing.length) return fatal(`snapshot_end before the last chunk of ${missing.join(', ')}`);
    const x = m.wal_offset_after_snapshot;
    if (x < f.lastOffset) f.errors.push(`snapshot_end wal_offset_after_snapshot ${x} < last offset ${f.lastOffset}`);
    f.snapshot.walOffsetAfter = x;
    f.snapshot.done = true;
    snapshotParts = null;
    f.lastOffset = x;  // streaming resumes at x + 1
  };

  reader = new LineReader(socket, maxLineBytes ? { maxLineBytes } : {});
  reader.on('line', (line) => {
    f.received++;
    let m;
    try {
      m = decode(line);
    } catch (e) {
      return fatal(`not a JSON message (${e.message}): ${short(line)}`);
    }
    switch (m.type) {
      case 'wal_entry': return onWalEntry(m, line);
      case 'caught_up':
        if (!isOffset(m.current_offset)) return fatal(`caught_up of the wrong shape: ${short(line)}`);
        f.caughtUp.push(m.current_offset);
        if (f.lastOffset > f.lastAcked) f.ack(f.lastOffset);
        return undefined;
      case 'snapshot_start': return onSnapshotStart(m, line);
      case 'snapshot_chunk': return onSnapshotChunk(m, line);
      case 'snapshot_end': return onSnapshotEnd(m, line);
      default:
        f.errors.push(ALLSOURCE_TYPES.has(m.type)
          ? `leader sent follower-side message ${m.type}: ${short(line)}`
          : `unknown message type ${JSON.stringify(m.type)} (not negotiated): ${short(line)}`);
        return undefined;
    }
  });
  reader.on('error', (e) => fatal(`framing: ${e.message}`));
  reader.on('end', ({ trailingBytes }) => { f.trailingBytes = trailingBytes; });
  socket.on('error', (e) => { f.socketError = e.code ?? e.message; });
  socket.on('close', () => { f.closed = true; });

  await new Promise((resolve, reject) => {
    const onError = (e) => reject(new Error(`follower: cannot connect to ${leaderHost}:${leaderPort}: ${e.message}`));
    socket.once('error', onError);
    socket.once('connect', () => { socket.off('error', onError); resolve(); });
  });
  socket.write(encode(subscribeMsg(lastOffset)));
  return f;
}

// ---------------------------------------------------------------------------------------------
// Leader.

// startAllSourceLeader({events=[], snapshot, transformEntry}) → leader on 127.0.0.1, port 0.
//
// `events`: [{id, event_type, entity_id, tenant_id, payload, metadata, timestamp}] (see
// makeAllSourceEvent); event i (0-based) has sequence i + 1. The array is copied.
//
// On a connection's subscribe{last_offset: L} it sends, with write back-pressure:
//   - if `snapshot` = {files: [{name, data: Buffer}], walOffsetAfter: X} is given and L < X:
//     snapshot_start, snapshot_chunk (512 KiB raw each, chunk_offset, is_last), snapshot_end{X},
//     and continues from X + 1 (events 1..X are then not sent as entries);
//   - wal_entry for every sequence after that, in AllSource's exact shape
//     {"type":"wal_entry","offset":N,"data":{"sequence":N,"wal_timestamp":T,"event":{"id",
//     "event_type","entity_id","tenant_id","payload","timestamp","metadata","version":1},
//     "checksum":C}} with T = the event's timestamp string and C = allSourceChecksum(N, T, id);
//   - {"type":"caught_up","current_offset":n} once it has sent everything (once per connection);
//   - later append()s live. (Unlike AllSource it never drops entries for a slow follower.)
// `transformEntry(msg, {sequence, session})` may return a modified message, a raw string (sent
// as is, add your own '\n'), or null to skip the entry — for fault injection.
//
// Exposes:
//   port, host
//   events        the log (array; sequence = index + 1)
//   append(event) adds an event, sends it to every subscribed follower; returns its sequence
//   received      every parsed line received, in order (subscribe, ack, …)
//   acked         highest ack offset seen from any follower (0 = none)
//   sessions      [{id, subscribedAt (L or null), sent (highest entry sent), acked, closed}]
//   errors        lines that did not parse or made no sense, as strings
//   sendRaw(str)  writes raw bytes to every connection (for unknown-type / garbage tests)
//   disconnectAll() destroys every follower connection (the server keeps listening)
//   waitFor(predicate, timeoutMs=10000, what?)  polls predicate(leader) until truthy
//   close()       stops listening, destroys connections, resolves when closed
export async function startAllSourceLeader({ events = [], snapshot = null, transformEntry = null } = {}) {
  const live = new Set();
  let nextSessionId = 1;

  const L = {
    events: [...events],
    received: [],
    acked: 0,
    sessions: [],
    errors: [],

    append(event) {
      L.events.push(event);
      for (const s of live) pump(s);
      return L.events.length;
    },

    sendRaw(str) { for (const s of live) s.socket.write(str); },

    disconnectAll() { for (const s of [...live]) s.socket.destroy(); },

    waitFor(predicate, timeoutMs = 10000, what) {
      return pollUntil(L, predicate, timeoutMs, what, () =>
        `leader state: events=${L.events.length} acked=${L.acked} sessions=${JSON.stringify(L.sessions.map((s) => ({
          id: s.id, subscribedAt: s.subscribedAt, sent: s.sent, acked: s.acked, closed: s.closed })))} ` +
        `errors=${JSON.stringify(L.errors.slice(0, 5))}`);
    },

    close() {
      const closed = new Promise((resolve) => server.close(() => resolve()));
      for (const s of [...live]) s.socket.destroy();
      return closed;
    },
  };

  function* snapshotMessages(snap) {
    yield { type: 'snapshot_start', parquet_files: snap.files.map((f) => f.name) };
    for (const file of snap.files) {
      let off = 0;
      do {
        const end = Math.min(off + SNAPSHOT_CHUNK_BYTES, file.data.length);
        yield {
          type: 'snapshot_chunk', filename: file.name, data: file.data.subarray(off, end).toString('base64'),
          chunk_offset: off, is_last: end === file.data.length,
        };
        off = end;
      } while (off < file.data.length);
    }
    yield { type: 'snapshot_end', wal_offset_after_snapshot: snap.walOffsetAfter };
  }

  // Writes what the session still needs until the socket pushes back; 'drain' re-enters.
  function pump(s) {
    if (s.next === null || s.waitingDrain || s.socket.destroyed) return;
    const write = (line) => {
      if (!s.socket.write(line)) {
        s.waitingDrain = true;
        s.socket.once('drain', () => { s.waitingDrain = false; pump(s); });
        return false;
      }
      return true;
    };
    while (s.snapshotIter) {
      const { value, done } = s.snapshotIter.next();
      if (done) {
        s.snapshotIter = null;
        s.info.sent = Math.max(s.info.sent, s.next - 1);  // the snapshot covered 1..X
        break;
      }
      if (!write(encode(value))) return;
    }
    while (s.next <= L.events.length) {
      const seq = s.next++;
      let msg = walEntryMsg(seq, L.events[seq - 1]);
      if (transformEntry) msg = transformEntry(msg, { sequence: seq, session: s.info });
      s.info.sent = seq;
      if (msg == null) continue;
      if (!write(typeof msg === 'string' ? msg : encode(msg))) return;
    }
    if (!s.caughtUpSent) {
      s.caughtUpSent = true;
      write(encode(caughtUpMsg(L.events.length)));
    }
  }

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const info = { id: nextSessionId++, subscribedAt: null, sent: 0, acked: 0, closed: false };
    const s = { socket, info, next: null, snapshotIter: null, caughtUpSent: false, waitingDrain: false };
    L.sessions.push(info);
    live.add(s);
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => { info.closed = true; live.delete(s); });
    const reader = new LineReader(socket);
    reader.on('error', (e) => { L.errors.push(`session ${info.id}: framing: ${e.message}`); socket.destroy(); });
    reader.on('line', (line) => {
      let m;
      try {
        m = decode(line);
      } catch (e) {
        L.errors.push(`session ${info.id}: not a JSON message (${e.message}): ${short(line)}`);
        return;
      }
      L.received.push(m);
      if (m.type === 'subscribe') {
        if (!isOffset(m.last_offset)) {
          L.errors.push(`session ${info.id}: subscribe of the wrong shape: ${short(line)}`);
          return;
        }
        if (info.subscribedAt !== null) {
          L.errors.push(`session ${info.id}: second subscribe on one connection`);
          return;
        }
        info.subscribedAt = m.last_offset;
        if (snapshot && m.last_offset < snapshot.walOffsetAfter) {
          s.snapshotIter = snapshotMessages(snapshot);
          s.next = snapshot.walOffsetAfter + 1;
        } else {
          s.next = m.last_offset + 1;
        }
        pump(s);
      } else if (m.type === 'ack') {
        if (!isOffset(m.offset)) {
          L.errors.push(`session ${info.id}: ack of the wrong shape: ${short(line)}`);
          return;
        }
        if (info.subscribedAt === null) L.errors.push(`session ${info.id}: ack before subscribe`);
        if (m.offset > Math.max(info.sent, info.subscribedAt ?? 0)) {
          L.errors.push(`session ${info.id}: ack ${m.offset} beyond what was sent (${info.sent})`);
        }
        if (m.offset > info.acked) info.acked = m.offset;
        if (m.offset > L.acked) L.acked = m.offset;
      } else {
        L.errors.push(`session ${info.id}: unexpected message type ${JSON.stringify(m.type)}: ${short(line)}`);
      }
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => { server.off('error', reject); resolve(); });
  });
  L.port = server.address().port;
  L.host = '127.0.0.1';
  return L;
}

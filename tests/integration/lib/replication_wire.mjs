// Helpers for the replication wire protocol as AllSource speaks it (docs/replication.md,
// DESIGN §5): newline-delimited JSON over TCP, seven message types, and AllSource's CRC-32
// checksum on wal_entry. Nothing here knows about Annal's extensions (epoch, crc32c, node_id,
// protocol); the test peers built on it (allsource_peers.mjs) must not speak them.
//
// Node built-ins only.
import { EventEmitter } from 'node:events';

// The seven AllSource message types. Anything else on the wire is an un-negotiated extension.
export const ALLSOURCE_TYPES = Object.freeze(new Set([
  'subscribe', 'ack', 'wal_entry', 'caught_up', 'snapshot_start', 'snapshot_chunk', 'snapshot_end',
]));

// Same limit as the C++ codec (kMaxLineBytes): a line, without its '\n', may not be longer.
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, zlib's crc32), table-driven.

const CRC32_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) ? (0xEDB88320 ^ (c >>> 1)) : (c >>> 1);
    t[n] = c >>> 0;
  }
  return t;
})();

// crc32(buf) → unsigned 32-bit number. `buf` is a Buffer/Uint8Array, or a string (hashed as
// UTF-8). Pass a previous result as `crc` to continue a running checksum:
// crc32(b, crc32(a)) === crc32(a + b).
export function crc32(buf, crc = 0) {
  const bytes = typeof buf === 'string' ? Buffer.from(buf, 'utf8') : buf;
  let c = (crc ^ 0xFFFFFFFF) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC32_TABLE[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8);
  return (c ^ 0xFFFFFFFF) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Timestamps.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const pad = (n, w) => String(n).padStart(w, '0');

// Parses an RFC 3339 timestamp without going through Date (which would drop everything below
// the millisecond). Returns the UTC civil time {year, month, day, hour, minute, second} plus
// `nanos` as a 9-digit string. A fraction longer than 9 digits is truncated (as chrono does);
// a non-UTC offset is applied to the civil fields (the fraction is unaffected by offsets).
// Throws on anything malformed, including a leap second (:60), which these tests never need.
export function parseRfc3339(s) {
  const m = RFC3339.exec(String(s));
  if (!m) throw new Error(`not an RFC 3339 timestamp: ${JSON.stringify(s)}`);
  let [, year, month, day, hour, minute, second, frac, z, sign, offH, offM] = m;
  const nanos = (frac ?? '').slice(0, 9).padEnd(9, '0');
  [year, month, day, hour, minute, second] = [year, month, day, hour, minute, second].map(Number);
  const daysIn = [31, (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28,
    31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12 || day < 1 || day > daysIn[month - 1] || hour > 23 || minute > 59 ||
      second > 59) {
    throw new Error(`timestamp out of range: ${JSON.stringify(s)}`);
  }
  if (!z) {
    const offsetMin = (sign === '-' ? -1 : 1) * (Number(offH) * 60 + Number(offM));
    if (offsetMin !== 0) {
      // Whole-second arithmetic on a Date is exact; setUTCFullYear avoids the 0..99 → 19xx rule.
      const d = new Date(0);
      d.setUTCFullYear(year, month - 1, day);
      d.setUTCHours(hour, minute - offsetMin, second, 0);
      [year, month, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
      [hour, minute, second] = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
      if (year < 0 || year > 9999) throw new Error(`timestamp out of range: ${JSON.stringify(s)}`);
    }
  }
  return { year, month, day, hour, minute, second, nanos };
}

// The shortest exact fraction among 0/3/6/9 digits of a 9-digit nanosecond string, with its
// dot: '000000000' → '', '123000000' → '.123', '120000000' → '.120', '123456000' → '.123456'.
export function shortestFraction(nanos9) {
  if (nanos9 === '000000000') return '';
  if (nanos9.endsWith('000000')) return `.${nanos9.slice(0, 3)}`;
  if (nanos9.endsWith('000')) return `.${nanos9.slice(0, 6)}`;
  return `.${nanos9}`;
}

// allSourceTimestamp('2026-11-21T14:03:07.123000Z') → '2026-11-21 14:03:07.123 UTC': chrono's
// Display of a DateTime<Utc>, the form AllSource's checksum hashes. Keeps all nine fraction
// digits of the input.
export function allSourceTimestamp(rfc3339) {
  const t = parseRfc3339(rfc3339);
  return `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)} ` +
         `${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}${shortestFraction(t.nanos)} UTC`;
}

// The same instant as chrono's serde writes a DateTime<Utc>: RFC 3339, 'Z', shortest fraction
// ('2026-11-21T14:03:07.123Z'). What docs/replication.md assumes AllSource sends as wal_timestamp.
export function chronoRfc3339(rfc3339) {
  const t = parseRfc3339(rfc3339);
  return `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T` +
         `${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}${shortestFraction(t.nanos)}Z`;
}

// AllSource's wal_entry checksum: CRC-32 of decimal sequence ‖ allSourceTimestamp(wal_timestamp)
// ‖ lowercase event id. `sequence` may be a number, a bigint or a decimal string.
export function allSourceChecksum(sequence, walTimestampRfc3339, eventId) {
  return crc32(`${BigInt(sequence)}${allSourceTimestamp(walTimestampRfc3339)}${String(eventId).toLowerCase()}`);
}

// ---------------------------------------------------------------------------------------------
// Framing.

// encode(msg) → one compact JSON line with its '\n'. JSON.stringify escapes newlines inside
// strings, so the result is exactly one line.
export function encode(msg) {
  return `${JSON.stringify(msg)}\n`;
}

// decode(line) → the parsed message; throws if the line is not a JSON object with a string
// "type". Does not check the type against ALLSOURCE_TYPES (callers decide what unknown means).
export function decode(line) {
  const msg = JSON.parse(line);
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    throw new Error('message is not a JSON object');
  }
  if (typeof msg.type !== 'string') throw new Error('message has no string "type"');
  return msg;
}

// Splits a readable byte stream (a net.Socket) into lines.
//
// Reading starts (the stream is put in flowing mode) once a 'line' listener is attached or
// iteration begins.
//
// Events:
//   'line' (string)  one line, UTF-8 decoded, without its '\n' (and without a '\r' before it).
//   'error' (Error)  a line grew beyond `maxLineBytes` (err.code === 'ELINETOOLONG'), or the
//                    stream failed. After an error the reader stops: it removes its listeners
//                    and emits nothing more. It never destroys the stream; the owner decides.
//   'end' ({trailingBytes})  the stream ended; trailingBytes > 0 means the peer sent an
//                    unterminated last line, which is dropped (a line only counts once its
//                    '\n' has arrived).
//
// Memory: at most one partial line (≤ maxLineBytes) is held. When consumed with
// `for await (const line of reader)`, at most `highWaterLines` complete lines are queued; beyond
// that the stream is paused until the consumer catches up, so a slow consumer costs kernel
// buffer space, not heap. Use either the events or the iterator, not both.
export class LineReader extends EventEmitter {
  constructor(stream, { maxLineBytes = MAX_LINE_BYTES, highWaterLines = 1024 } = {}) {
    super();
    this.stream = stream;
    this.maxLineBytes = maxLineBytes;
    this.highWaterLines = highWaterLines;
    this.parts = [];       // pieces of the current partial line
    this.partBytes = 0;
    this.stopped = false;
    this.ended = false;
    this.onData = (chunk) => this.push(chunk);
    this.onEnd = () => this.finish();
    this.onClose = () => this.finish();
    this.onError = (err) => this.fail(err);
    // Reading starts when the first 'line' listener (or the iterator) is attached, so no line is
    // emitted before anyone listens (a PassThrough may emit 'data' synchronously on write).
    this.started = false;
    this.on('newListener', (event) => {
      if (event === 'line' && !this.started) queueMicrotask(() => this.start());
    });
  }

  start() {
    if (this.started || this.stopped) return;
    this.started = true;
    this.stream.on('data', this.onData);
    this.stream.on('end', this.onEnd);
    this.stream.on('close', this.onClose);
    this.stream.on('error', this.onError);
  }

  push(chunk) {
    if (this.stopped) return;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0A, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (this.partBytes + piece.length > this.maxLineBytes) return this.tooLong();
      let line;
      if (this.parts.length) {
        this.parts.push(piece);
        line = Buffer.concat(this.parts, this.partBytes + piece.length);
        this.parts = [];
        this.partBytes = 0;
      } else {
        line = piece;
      }
      if (line.length && line[line.length - 1] === 0x0D) line = line.subarray(0, line.length - 1);
      this.emit('line', line.toString('utf8'));
      // A listener may have stopped us or destroyed the stream (a protocol violation): the rest
      // of this chunk must not be delivered.
      if (this.stopped) return;
      if (this.stream.destroyed) { this.stop(); return; }
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.partBytes + rest.length > this.maxLineBytes) return this.tooLong();
      // Copy: `chunk` may be a slice of a large pooled buffer we should not pin.
      this.parts.push(Buffer.from(rest));
      this.partBytes += rest.length;
    }
  }

  tooLong() {
    this.fail(Object.assign(new Error(`line longer than ${this.maxLineBytes} bytes`),
                            { code: 'ELINETOOLONG' }));
  }

  fail(err) {
    if (this.stopped) return;
    this.stop();
    this.emit('error', err);
  }

  finish() {
    if (this.stopped || this.ended) return;
    this.ended = true;
    const trailingBytes = this.partBytes;
    this.stop();
    this.emit('end', { trailingBytes });
  }

  // Detaches from the stream and drops any partial line. Idempotent.
  stop() {
    if (this.stopped) return;
    this.stopped = true;
    this.parts = [];
    this.partBytes = 0;
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onClose);
    this.stream.off('error', this.onError);
  }

  async *[Symbol.asyncIterator]() {
    const queue = [];
    let done = false;
    let failure = null;
    let wake = null;
    const notify = () => { if (wake) { const w = wake; wake = null; w(); } };
    const onLine = (line) => {
      queue.push(line);
      if (queue.length >= this.highWaterLines) this.stream.pause();
      notify();
    };
    const onEnd = () => { done = true; notify(); };
    const onError = (e) => { failure = e; done = true; notify(); };
    this.on('line', onLine);
    this.on('end', onEnd);
    this.on('error', onError);
    if (this.stopped) done = true;
    try {
      for (;;) {
        if (queue.length) {
          const line = queue.shift();
          if (queue.length < this.highWaterLines / 2 && !this.stopped && this.stream.isPaused?.()) {
            this.stream.resume();
          }
          yield line;
          continue;
        }
        if (failure) throw failure;
        if (done) return;
        await new Promise((r) => { wake = r; });
      }
    } finally {
      this.off('line', onLine);
      this.off('end', onEnd);
      this.off('error', onError);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Message builders (AllSource's shape, field order as AllSource/serde writes them).

export const subscribeMsg = (lastOffset) => ({ type: 'subscribe', last_offset: lastOffset });
export const ackMsg = (offset) => ({ type: 'ack', offset });
export const caughtUpMsg = (currentOffset) => ({ type: 'caught_up', current_offset: currentOffset });

// A wal_entry for `event` ({id, event_type, entity_id, tenant_id, payload, metadata, timestamp})
// at LSN `sequence`. wal_timestamp defaults to the event's own timestamp string.
export function walEntryMsg(sequence, event, walTimestamp = event.timestamp) {
  return {
    type: 'wal_entry',
    offset: sequence,
    data: {
      sequence,
      wal_timestamp: walTimestamp,
      event: {
        id: event.id,
        event_type: event.event_type,
        entity_id: event.entity_id,
        tenant_id: event.tenant_id,
        payload: event.payload,
        timestamp: event.timestamp,
        metadata: event.metadata ?? null,
        version: 1,
      },
      checksum: allSourceChecksum(sequence, walTimestamp, event.id),
    },
  };
}

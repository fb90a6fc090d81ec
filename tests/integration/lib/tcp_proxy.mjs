// A small TCP proxy for injecting link faults into replication tests (the kernel here has no
// netem). Put it between a follower and its leader and point the follower at `proxy.port`.
//
//   const proxy = await startProxy({ targetPort: leaderReplicationPort });
//   proxy.setThrottle(64 * 1024);   // bytes/s, each direction
//   proxy.pause(); proxy.resume();  // stall the link, keep the connections
//   proxy.cutAll();                 // drop every connection, both ends see it close
//   proxy.setRefuse(true);          // new connections are closed right after accept
//   await proxy.close();
//
// Every accepted ("client") connection gets its own upstream connection to the target; the pair
// is forwarded byte for byte in both directions, "up" = client → target, "down" = target →
// client. Half-closes are forwarded (a FIN on one side becomes an end() on the other once the
// data before it has been delivered); a reset or error on either side destroys the pair.
//
// Memory stays bounded: each direction holds at most one chunk read from its source (≤ the
// socket's read size, 64 KiB) and honours write back-pressure (when write() returns false the
// source is paused until 'drain'). Everything else waits in kernel socket buffers.
//
// Node built-ins only.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

// A token bucket shared by every connection for one direction, i.e. the link's bandwidth in
// that direction. Holds at most `capacity` bytes of credit (50 ms worth, at least 1 byte), so
// an idle link cannot save up a large burst.
class Bucket {
  constructor() { this.setRate(null); }

  setRate(bytesPerSecond) {
    this.rate = bytesPerSecond;
    this.capacity = bytesPerSecond == null ? Infinity : Math.max(1, bytesPerSecond * 0.05);
    this.tokens = 0;  // start empty: a new throttle takes effect from the first byte
    this.last = performance.now();
  }

  refill() {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
  }
}

// One direction of one connection pair: reads `src`, writes `dst`.
class Pipe {
  constructor(proxy, src, dst, bucket, counter) {
    this.proxy = proxy;
    this.src = src;
    this.dst = dst;
    this.bucket = bucket;
    this.counter = counter;   // 'bytesUp' | 'bytesDown'
    this.pending = null;      // part of a chunk read from src but not yet written to dst
    this.waitingDrain = false;
    this.timer = null;
    this.srcEnded = false;
    this.dead = false;
    this.onData = (chunk) => {
      // Take one chunk at a time: the source stays paused until this one is written.
      src.pause();
      this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      this.pump();
    };
    this.onEnd = () => { this.srcEnded = true; this.pump(); };
    src.on('data', this.onData);
    src.on('end', this.onEnd);
  }

  // Moves as much of `pending` as the pause state, the throttle and dst's back-pressure allow,
  // then resumes the source. Re-entered from timers, 'drain' and proxy.resume()/setThrottle().
  pump() {
    if (this.dead || this.timer || this.waitingDrain) return;
    while (this.pending) {
      if (this.proxy.paused) return;  // resume() calls pump() again
      if (this.dst.destroyed) return;
      let n = this.pending.length;
      const b = this.bucket;
      if (b.rate != null) {
        b.refill();
        if (b.tokens < 1) {
          // Wait until a useful quantum (up to one bucket's worth) is available.
          const want = Math.min(n, b.capacity);
          const ms = Math.max(1, Math.ceil(((want - b.tokens) * 1000) / b.rate));
          this.timer = setTimeout(() => { this.timer = null; this.pump(); }, ms);
          return;
        }
        n = Math.min(n, Math.floor(b.tokens));
        b.tokens -= n;
      }
      const part = n === this.pending.length ? this.pending : this.pending.subarray(0, n);
      this.pending = n === this.pending.length ? null : this.pending.subarray(n);
      this.proxy.counters[this.counter] += part.length;
      if (!this.dst.write(part)) {
        this.waitingDrain = true;
        this.dst.once('drain', () => { this.waitingDrain = false; this.pump(); });
        return;
      }
    }
    if (this.proxy.paused) return;
    if (this.srcEnded) {
      if (!this.dst.destroyed && !this.dst.writableEnded) this.dst.end();
      return;
    }
    this.src.resume();
  }

  // Throttle changed: re-evaluate now instead of at the old timer's deadline.
  kick() {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    this.pump();
  }

  kill() {
    this.dead = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    this.pending = null;
  }
}

// startProxy({targetHost, targetPort, listenHost}) → proxy, listening on a free port.
//
//   port                  the bound listen port (listen port 0, chosen by the OS)
//   setThrottle(bps|null) limit each direction to `bps` bytes per second, shared by all
//                         connections (a link's bandwidth); null removes the limit. The limit
//                         applies to bytes not yet forwarded, including connections already open.
//   pause() / resume()    stop / restart forwarding in both directions on every connection,
//                         current and future, without closing anything. While paused the proxy
//                         reads nothing more, so data waits in kernel buffers (and what was
//                         already handed to a destination socket may still be delivered);
//                         connections are still accepted (their upstream connects) but carry
//                         nothing until resume().
//   cutAll()              destroy every current pair, both sockets, immediately (like a cut
//                         link, except that both ends are told: they see the connection close,
//                         or a reset if unread data was pending). Data in flight inside the proxy
//                         is lost. New connections are still accepted afterwards.
//   setRefuse(bool)       while true, every new connection is destroyed right after accept (the
//                         client sees the connection close; nothing is sent upstream).
//   stats()               {connections: pairs accepted and forwarded since start (refused ones
//                         excluded), active: pairs open now, refused, bytesUp (client → target),
//                         bytesDown (target → client)} — bytes as handed to the destination.
//   close()               stop listening, destroy every pair; resolves when the server is closed.
export async function startProxy({ targetHost = '127.0.0.1', targetPort, listenHost = '127.0.0.1' } = {}) {
  if (!Number.isInteger(targetPort) || targetPort <= 0) throw new Error(`startProxy: bad targetPort ${targetPort}`);

  const pairs = new Set();
  const up = new Bucket();
  const down = new Bucket();
  let refuse = false;
  let closing = false;

  const state = {
    paused: false,
    counters: { bytesUp: 0, bytesDown: 0 },
  };
  let connections = 0;
  let refused = 0;

  const destroyPair = (pair) => {
    if (!pairs.delete(pair)) return;
    for (const p of pair.pipes) p.kill();
    pair.client.destroy();
    pair.upstream.destroy();
  };

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    client.on('error', () => { /* handled by 'close' */ });
    if (refuse || closing) {
      refused++;
      client.destroy();
      return;
    }
    connections++;
    const upstream = net.connect({ host: targetHost, port: targetPort, allowHalfOpen: true });
    upstream.on('error', () => { /* handled by 'close' */ });
    upstream.pause();
    const pair = { client, upstream, pipes: [] };
    pairs.add(pair);
    // Either socket fully closed (both directions done, or reset/error/destroyed): drop the pair.
    client.on('close', () => destroyPair(pair));
    upstream.on('close', () => destroyPair(pair));
    upstream.on('connect', () => {
      if (!pairs.has(pair)) return;
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      pair.pipes = [
        new Pipe(state, client, upstream, up, 'bytesUp'),
        new Pipe(state, upstream, client, down, 'bytesDown'),
      ];
      if (!state.paused) for (const p of pair.pipes) p.pump();
    });
  });
  server.on('error', () => { /* listen errors surface through the listen promise below */ });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listenHost, port: 0 }, () => { server.off('error', reject); resolve(); });
  });

  const forEachPipe = (fn) => { for (const pair of pairs) for (const p of pair.pipes) fn(p); };

  return {
    port: server.address().port,
    host: listenHost,

    setThrottle(bytesPerSecond) {
      if (bytesPerSecond != null && !(Number.isFinite(bytesPerSecond) && bytesPerSecond > 0)) {
        throw new Error(`setThrottle: expected a positive number of bytes/s or null, got ${bytesPerSecond}`);
      }
      up.setRate(bytesPerSecond ?? null);
      down.setRate(bytesPerSecond ?? null);
      forEachPipe((p) => p.kick());
    },

    pause() {
      state.paused = true;
      forEachPipe((p) => p.src.pause());
    },

    resume() {
      state.paused = false;
      forEachPipe((p) => p.pump());
    },

    cutAll() {
      for (const pair of [...pairs]) destroyPair(pair);
    },

    setRefuse(on) { refuse = Boolean(on); },

    stats() {
      return { connections, active: pairs.size, refused, ...state.counters };
    },

    async close() {
      closing = true;
      const closed = new Promise((resolve) => server.close(() => resolve()));
      for (const pair of [...pairs]) destroyPair(pair);
      await closed;
    },
  };
}

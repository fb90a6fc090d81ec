// Replication lag at a fixed write rate: writes single events to the leader at RATE/s for
// SECONDS, and for each one measures the time from the leader's answer until the event is
// readable on the follower (polled). Prints "p50_ms=.. p99_ms=.. max_ms=.. samples=..".
//   node bench/replication_lag.mjs LEADER_PORT FOLLOWER_PORT RATE SECONDS
const [leaderPort, followerPort, rate, seconds] = process.argv.slice(2).map(Number);
const leader = `http://127.0.0.1:${leaderPort}`;
const follower = `http://127.0.0.1:${followerPort}`;
const lags = [];
let errors = 0;

async function probe(i) {
  const res = await fetch(`${leader}/api/v1/events`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event_type: 'bench.lag', entity_id: `lag-${i % 100}`, payload: { i } }),
  });
  if (res.status !== 200) { errors++; await res.text(); return; }
  const { event_id } = await res.json();
  const acked = performance.now();
  for (;;) {
    const r = await fetch(`${follower}/api/v1/events/${event_id}`);
    await r.arrayBuffer();
    if (r.status === 200) break;
    if (performance.now() - acked > 30000) { errors++; return; }
    await new Promise((resolve) => setTimeout(resolve, 0.2));
  }
  lags.push(performance.now() - acked);
}

const total = rate * seconds;
const start = performance.now();
const inflight = [];
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  inflight.push(probe(i));
}
await Promise.all(inflight);
lags.sort((a, b) => a - b);
const pct = (p) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))].toFixed(2);
if (errors) console.error(`errors=${errors}`);
console.log(`p50_ms=${pct(50)} p99_ms=${pct(99)} max_ms=${lags[lags.length - 1].toFixed(2)} samples=${lags.length} errors=${errors}`);

// Concurrent writers for the shutdown and crash tests. Each writer loops: a single append or a
// batch, every event with a client-chosen event_id, and records what the server acknowledged
// (event_id -> sequence) and what it never answered (outcome unknown: may or may not be stored,
// but a batch must be all or nothing).
import { randomUUID } from 'node:crypto';

import { sleep } from './annal.mjs';

export class Writers {
  constructor(server, { clients = 8, batchSize = 10, batchEvery = 3, tag = 'w' } = {}) {
    this.server = server;
    this.clients = clients;
    this.batchSize = batchSize;
    this.batchEvery = batchEvery;
    this.tag = tag;
    this.acked = new Map();     // event_id -> sequence
    this.unknown = [];          // [[event_id, ...]] requests without an answer
    this.rejected = [];         // [[event_id, ...], status] answered with an error
    this.stopped = false;
    this.loops = [];
  }

  get ackedCount() { return this.acked.size; }

  start() {
    for (let c = 0; c < this.clients; c++) this.loops.push(this.#loop(c));
    return this;
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  async #loop(client) {
    for (let i = 0; !this.stopped; i++) {
      const isBatch = i % this.batchEvery === this.batchEvery - 1;
      const n = isBatch ? this.batchSize : 1;
      const events = Array.from({ length: n }, (_, k) => ({
        event_id: randomUUID(),
        event_type: isBatch ? 'load.batched' : 'load.single',
        entity_id: `${this.tag}-c${client}-e${(i + k) % 7}`,
        payload: { client, i, k, pad: 'x'.repeat(64) },
      }));
      const ids = events.map((e) => e.event_id);
      const path = isBatch ? '/api/v1/events/batch' : '/api/v1/events';
      const body = JSON.stringify(isBatch ? { events } : events[0]);
      let res;
      try {
        res = await fetch(`${this.server.url}${path}`, {
          method: 'POST', body, headers: { 'content-type': 'application/json' },
          signal: AbortSignal.timeout(30000),
        });
      } catch {
        this.unknown.push(ids);
        if (!this.server.running) return;
        await sleep(20);  // e.g. not accepting any more during shutdown
        continue;
      }
      let json;
      try { json = await res.json(); } catch { json = undefined; }
      if (res.status === 200 && json) {
        if (isBatch) json.events.forEach((e, k) => this.acked.set(ids[k], e.sequence));
        else this.acked.set(ids[0], json.sequence);
      } else if (res.status === 200) {
        this.unknown.push(ids);  // answer cut off mid-body
      } else {
        this.rejected.push([ids, res.status]);
      }
    }
  }
}

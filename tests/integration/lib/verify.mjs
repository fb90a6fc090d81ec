// Reads a whole store back and checks the log invariants the crash tests rely on.
import assert from 'node:assert/strict';

import { get, qs } from './http.mjs';

// Every event, oldest first, through the `after` cursor, 1000 at a time.
export async function readAll(server) {
  const all = [];
  let after = 0;
  for (;;) {
    const r = await get(server, `/api/v1/events/query${qs({ limit: 1000, after })}`);
    assert.equal(r.status, 200, r.text);
    all.push(...r.json.events);
    if (!r.json.has_more) break;
    assert.ok(r.json.next_after > after, 'next_after moves forward');
    after = r.json.next_after;
  }
  return all;
}

// Sequences are exactly 1..N, ids unique, entity versions 1..n per entity.
export function assertLogInvariants(all) {
  all.forEach((e, i) => {
    if (e.sequence !== i + 1) assert.fail(`sequence gap or reorder at position ${i}: ${e.sequence}`);
  });
  const ids = new Set(all.map((e) => e.id));
  assert.equal(ids.size, all.length, 'event ids are unique');
  const versions = new Map();
  for (const e of all) {
    const key = `${e.tenant_id}\u0000${e.entity_id}`;
    const v = (versions.get(key) ?? 0) + 1;
    assert.equal(e.entity_version, v, `entity ${e.entity_id}: entity_version ${e.entity_version}, expected ${v}`);
    versions.set(key, v);
  }
  for (let i = 1; i < all.length; i++) {
    assert.ok(all[i].timestamp >= all[i - 1].timestamp, `timestamps non-decreasing at ${all[i].sequence}`);
  }
}

// Every acknowledged event is present with its acknowledged sequence; every unanswered batch is
// there completely or not at all; rejected requests wrote nothing.
export function assertWritesSurvived(all, writers) {
  const bySeq = new Map(all.map((e) => [e.id, e.sequence]));
  let missing = 0;
  for (const [id, seq] of writers.acked) {
    const got = bySeq.get(id);
    if (got === undefined) missing++;
    else assert.equal(got, seq, `event ${id} acknowledged with sequence ${seq}, stored as ${got}`);
  }
  assert.equal(missing, 0, `${missing} of ${writers.acked.size} acknowledged events are missing`);
  for (const ids of writers.unknown) {
    const present = ids.filter((id) => bySeq.has(id));
    assert.ok(present.length === 0 || present.length === ids.length,
      `a batch of ${ids.length} is partially stored (${present.length})`);
    if (present.length > 1) {
      const seqs = present.map((id) => bySeq.get(id));
      seqs.forEach((s, k) => assert.equal(s, seqs[0] + k, 'a batch has consecutive sequences'));
    }
  }
  for (const [ids, status] of writers.rejected) {
    for (const id of ids) assert.ok(!bySeq.has(id), `event ${id} was answered ${status} but is stored`);
  }
}

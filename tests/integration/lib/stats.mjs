import assert from 'node:assert/strict';
import { get } from './http.mjs';

export async function stats(server) {
  const r = await get(server, '/api/v1/stats');
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// Runs `fn` and asserts that /api/v1/stats is identical before and after: nothing was written.
export async function assertNothingWritten(server, fn) {
  const before = await stats(server);
  const result = await fn();
  const after = await stats(server);
  assert.deepEqual(after, before, 'the rejected request must not change the store');
  return result;
}

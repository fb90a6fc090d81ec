// Event builders and assertions shared by the integration tests.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

export const RFC3339_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// A short unique suffix, so tests sharing one server never see each other's entities.
export function uniq(prefix = 'e') { return `${prefix}-${randomUUID().slice(0, 8)}`; }

export function newEvent(overrides = {}) {
  return { event_type: 'test.created', entity_id: uniq('entity'), payload: { n: 1 }, ...overrides };
}

// Asserts the exact key set and types of an event as API.md defines it.
export function assertEventShape(ev) {
  assert.deepEqual(Object.keys(ev).sort(), ['entity_id', 'entity_version', 'event_type', 'id', 'metadata',
    'payload', 'sequence', 'tenant_id', 'timestamp', 'version'].sort(), `event keys: ${JSON.stringify(ev)}`);
  assert.match(ev.id, UUID);
  assert.match(ev.timestamp, RFC3339_MICROS);
  assert.equal(ev.version, 1, 'event JSON version is the schema version, always 1');
  assert.ok(Number.isSafeInteger(ev.sequence) && ev.sequence >= 1, `sequence ${ev.sequence}`);
  assert.ok(Number.isSafeInteger(ev.entity_version) && ev.entity_version >= 1);
  assert.equal(typeof ev.tenant_id, 'string');
}

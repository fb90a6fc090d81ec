-- Durable single appends: one ~150-byte event per request, a new entity id every time.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local counter = 0

function request()
  counter = counter + 1
  local body = string.format(
    '{"event_type":"bench.single","entity_id":"s-%d-%d","payload":{"amount":%d,"currency":"EUR","note":"benchmark payload padded so that the whole payload object is about 150 bytes long ok","region":"eu-west-1"}}',
    thread_id, counter, counter % 1000)
  return wrk.format("POST", "/api/v1/events", { ["Content-Type"] = "application/json" }, body)
end

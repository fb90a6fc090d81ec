-- Durable batch ingest: 1000 events of ~150 bytes per request, every event its own entity.
package.path = debug.getinfo(1, "S").source:match("@?(.*/)") .. "?.lua;" .. package.path
require("common")

local BATCH = tonumber(os.getenv("BENCH_BATCH_SIZE") or "1000")
local counter = 0

function request()
  counter = counter + 1
  local parts = {}
  for i = 1, BATCH do
    parts[i] = string.format(
      '{"event_type":"bench.batch","entity_id":"b-%d-%d-%d","payload":{"amount":%d,"currency":"EUR","note":"benchmark payload padded so that the whole payload object is about 150 bytes long ok","region":"eu-west-1"}}',
      thread_id, counter, i, i)
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/v1/events/batch", { ["Content-Type"] = "application/json" }, body)
end

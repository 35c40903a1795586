-- PATCH /ngsi-ld/v1/entities/{id}/attrs with a small body to random ids (bench/updates.sh).
-- Env: BENCH_N (entities urn:ngsi-ld:AirQualityObserved:0..N-1), BENCH_MIN_VALUE (every
-- written pm25 value is >= this, so a later GET can tell the update landed).
local n = tonumber(os.getenv("BENCH_N") or "10000")
local min_value = tonumber(os.getenv("BENCH_MIN_VALUE") or "1000")
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 100 + (tid or 0))
  wrk.method = "PATCH"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local id = math.random(0, n - 1)
  local body = string.format(
    '{"pm25":{"type":"Property","value":%d.%d,"unitCode":"GQ","observedAt":"2025-11-23T10:%02d:%02dZ"}}',
    min_value + math.random(0, 500), math.random(0, 9), math.random(0, 59), math.random(0, 59))
  return wrk.format(nil, "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:" .. id .. "/attrs", nil, body)
end

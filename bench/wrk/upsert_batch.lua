-- POST /ngsi-ld/v1/entityOperations/upsert with BENCH_BATCH (100) entities per request, to
-- random existing ids of urn:ngsi-ld:AirQualityObserved:0..BENCH_N-1 (bench/updates.sh).
-- Bodies are made once per thread in init (64 of them, cycled) so wrk's Lua is not the
-- bottleneck; every entity is replaced whole (upsert's default), with 6 readings.
local n = tonumber(os.getenv("BENCH_N") or "10000")
local batch = tonumber(os.getenv("BENCH_BATCH") or "100")
local bodies = {}
local i = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function reading(name, value, unit, at)
  return string.format('"%s":{"type":"Property","value":%.1f,"unitCode":"%s","observedAt":"%s"}',
    name, value, unit, at)
end

function init(args)
  math.randomseed(os.time() * 100 + (tid or 0))
  wrk.method = "POST"
  wrk.path = "/ngsi-ld/v1/entityOperations/upsert"
  wrk.headers["Content-Type"] = "application/json"
  for b = 1, 64 do
    local parts, seen = {}, {}
    while #parts < batch do
      local id = math.random(0, n - 1)
      if not seen[id] then
        seen[id] = true
        local at = string.format("2025-11-23T11:%02d:%02dZ", math.random(0, 59), math.random(0, 59))
        local pm25 = math.random() * 150
        table.insert(parts, string.format(
          '{"id":"urn:ngsi-ld:AirQualityObserved:%d","type":"AirQualityObserved",' ..
          '"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[%.6f,%.6f]}},%s,%s,%s,%s,%s,%s}',
          id, 105.7 + math.random() * 0.3, 20.9 + math.random() * 0.2,
          reading("pm25", pm25, "GQ", at), reading("pm10", pm25 * 1.5, "GQ", at),
          reading("no2", 10 + math.random() * 70, "GQ", at), reading("o3", 5 + math.random() * 50, "GQ", at),
          reading("temperature", 18 + math.random() * 16, "CEL", at),
          reading("relativeHumidity", 0.4 + math.random() * 0.55, "C62", at)))
      end
    end
    bodies[b] = "[" .. table.concat(parts, ",") .. "]"
  end
end

function request()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end

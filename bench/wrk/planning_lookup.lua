-- GET /planning/v1/lookup?lon=&lat= at random points of the demo district (bench/planning_lookup.sh):
-- uniform over lon 105.8400-105.8630, lat 21.0140-21.0420 (app/demo_city.h kDemoCityBounds)
-- on the 1e-7 degree grid, the same distribution as the pgbench scripts. Seeded: BENCH_SEED
-- (default 1) plus the thread number, so runs repeat. Counts zones ("layer":"quy-hoach"
-- entries), answers with a parcel and non-200 answers; done() prints "zones_per_lookup X",
-- "parcel_share X" and "non200 N".
local seed = tonumber(os.getenv("BENCH_SEED") or "1")
local threads = {}
queries, zones, parcels, non200 = 0, 0, 0, 0  -- globals: done() reads them with thread:get

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(seed * 1000 + (tid or 0))
end

function request()
  -- Fractions of a degree in units of 1e-7 (whole degrees fixed: 105 and 21).
  local lon = 8400000 + math.random(0, 230000)
  local lat = 140000 + math.random(0, 280000)
  local path = string.format("/planning/v1/lookup?lon=105.%07d&lat=21.%07d", lon, lat)
  return wrk.format("GET", path)
end

function response(status, headers, body)
  queries = queries + 1
  if status ~= 200 then
    non200 = non200 + 1
    return
  end
  local _, z = string.gsub(body, '"layer":"quy%-hoach"', "")
  zones = zones + z
  if string.find(body, '"parcel":{', 1, true) then parcels = parcels + 1 end
end

function done(summary, latency, requests)
  local q, z, p, e = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    q = q + t:get("queries")
    z = z + t:get("zones")
    p = p + t:get("parcels")
    e = e + t:get("non200")
  end
  if q > 0 then
    io.write(string.format("zones_per_lookup %.3f\n", z / q))
    io.write(string.format("parcel_share %.3f\n", p / q))
  end
  io.write(string.format("non200 %d\n", e))
end

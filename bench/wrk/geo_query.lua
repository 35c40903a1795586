-- GET /ngsi-ld/v1/entities?type=AirQualityObserved&georel=near;maxDistance==500
--   &geometry=Point&coordinates=[lon,lat]&q=pm25>50&limit=100 at random points over Hanoi
-- (bench/query.sh). Counts entities per response ("id":"urn:ngsi-ld: at the top level of
-- each result) and non-200 answers; done() prints "results_per_query X" and "non200 N".
local threads = {}
queries, results, non200 = 0, 0, 0  -- globals: done() reads them with thread:get

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 100 + (tid or 0))
end

function request()
  local lon = 105.72 + math.random() * 0.26
  local lat = 20.92 + math.random() * 0.16
  local path = string.format(
    "/ngsi-ld/v1/entities?type=AirQualityObserved&georel=near%%3BmaxDistance%%3D%%3D500" ..
    "&geometry=Point&coordinates=%%5B%.6f%%2C%.6f%%5D&q=pm25%%3E50&limit=100", lon, lat)
  return wrk.format("GET", path)
end

function response(status, headers, body)
  queries = queries + 1
  if status ~= 200 then
    non200 = non200 + 1
    return
  end
  local _, c = string.gsub(body, '"id":"urn:ngsi%-ld:', "")
  results = results + c
end

function done(summary, latency, requests)
  local q, r, e = 0, 0, 0
  for _, t in ipairs(threads) do
    q = q + t:get("queries")
    r = r + t:get("results")
    e = e + t:get("non200")
  end
  if q > 0 then
    io.write(string.format("results_per_query %.1f\n", r / q))
  end
  io.write(string.format("non200 %d\n", e))
end

-- GET /ngsi-ld/v1/temporal/entities/urn:ngsi-ld:WaterObserved:{random}?attrs=level
--   &options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1H
--   &timerel=between&timeAt=BENCH_FROM&endTimeAt=BENCH_TO   (bench/temporal.sh)
-- Env: BENCH_SENSORS (ids 0..N-1), BENCH_FROM, BENCH_TO (ISO 8601). Counts buckets per
-- response (the "],[" between buckets of the avg array, plus one) and non-200 answers;
-- done() prints "buckets_per_query X" and "non200 N".
local sensors = tonumber(os.getenv("BENCH_SENSORS") or "1000")
local from = os.getenv("BENCH_FROM") or "2026-01-01T00:00:00Z"
local to = os.getenv("BENCH_TO") or "2026-01-08T00:00:00Z"
local threads = {}
queries, buckets, non200 = 0, 0, 0  -- globals: done() reads them with thread:get

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 100 + (tid or 0))
end

function request()
  local path = string.format(
    "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:WaterObserved:%d?attrs=level" ..
    "&options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1H" ..
    "&timerel=between&timeAt=%s&endTimeAt=%s", math.random(0, sensors - 1), from, to)
  return wrk.format("GET", path)
end

function response(status, headers, body)
  queries = queries + 1
  if status ~= 200 then
    non200 = non200 + 1
    return
  end
  local _, c = string.gsub(body, "%],%[", "")
  if string.find(body, '"avg":[[', 1, true) then buckets = buckets + c + 1 end
end

function done(summary, latency, requests)
  local q, b, e = 0, 0, 0
  for _, t in ipairs(threads) do
    q = q + t:get("queries")
    b = b + t:get("buckets")
    e = e + t:get("non200")
  end
  if q > 0 then
    io.write(string.format("buckets_per_query %.1f\n", b / q))
  end
  io.write(string.format("non200 %d\n", e))
end

-- POST /open311/v2/requests.json: citizen reports at random points of the demo district
-- (bench/open311.sh), form-urlencoded as Open311 clients send them, for services without
-- required attributes and with one.
local threads = {}
local bodies = {
  "service_code=duong-via-he&description=%C3%94%20g%C3%A0%20l%E1%BB%9Bn",
  "service_code=cay-xanh&description=C%C3%A2y%20%C4%91%E1%BB%95",
  "service_code=den-duong&attribute%5Btinh-trang%5D=khong-sang&description=%C4%90%C3%A8n%20h%E1%BB%8Fng",
}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 100 + (tid or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  local lon = 105.8400 + math.random() * 0.0230
  local lat = 21.0140 + math.random() * 0.0280
  local body = string.format("%s&lat=%.6f&long=%.6f", bodies[math.random(1, #bodies)], lat, lon)
  return wrk.format(nil, "/open311/v2/requests.json", nil, body)
end

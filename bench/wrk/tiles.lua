-- GET vector tiles picked at random from a list (bench/tiles.sh). Env: TILES_FILE (one path
-- per line, e.g. /ogc/collections/thua-dat/tiles/WebMercatorQuad/14/7212/13008) and GZIP=1
-- (send Accept-Encoding: gzip). No response() hook: wrk then does not copy each body into
-- Lua, which would cost the client (on the same cores) more than a tile costs dothi; wrk's
-- own summary counts non-2xx answers and bytes read.
local paths = {}
local headers = {}

function init(args)
  math.randomseed(os.time() * 100 + math.floor(os.clock() * 1e6))
  for line in io.lines(os.getenv("TILES_FILE")) do
    if #line > 0 then table.insert(paths, line) end
  end
  if os.getenv("GZIP") == "1" then headers["Accept-Encoding"] = "gzip" end
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

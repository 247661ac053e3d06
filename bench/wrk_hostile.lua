-- wrk script: a mix of good and hostile requests against `segmaker serve` (bench/serve_hostile_load.sh).
-- WRK_DIR holds the request bodies the script made: good.jpg, jpeg_bomb.jpg, gif_bomb.gif,
-- thin.png (1000x1), png_bomb.png (1-bit 30000x30000). Each thread cycles through `mix`; status
-- counts of all threads are printed at the end.
local dir = os.getenv("WRK_DIR")
local function read(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local s = f:read("*all")
  f:close()
  return s
end

local good = read("good.jpg")
local post = function(body, headers)
  local h = {["Content-Type"] = "image/jpeg"}
  for k, v in pairs(headers or {}) do h[k] = v end
  return wrk.format("POST", "/invocations", h, body)
end

-- 20 requests: 11 good ones (png, json, recordio, curl's form type), 9 hostile ones.
local mix = {
  post(good, {Accept = "image/png"}),
  post(good, {Accept = "application/json"}),
  wrk.format("GET", "/ping"),
  post(good, {["Content-Type"] = "application/x-www-form-urlencoded"}),
  post(read("jpeg_bomb.jpg")),                                   -- 413 from the header
  post(good, {Accept = "image/png"}),
  post(good, {["Content-Type"] = "text/plain"}),                  -- 415
  post(good, {Accept = "application/x-recordio-protobuf"}),
  post(read("gif_bomb.gif"), {["Content-Type"] = "image/gif"}),  -- 413
  post(good, {Accept = "image/png"}),
  wrk.format("GET", "/%FF"),                                      -- 404 (used to abort the server)
  post(good, {Accept = "text/\xff"}),                             -- 406
  post("this is not an image"),                                   -- 400
  post(good, {["Content-Encoding"] = "gzip"}),                    -- 415
  post(good, {Accept = "image/png"}),
  wrk.format("GET", "/invocations"),                              -- 405
  post(read("thin.png"), {["Content-Type"] = "image/png"}),       -- 413: 1000x1
  post(good, {Accept = "image/png"}),
  post(read("png_bomb.png"), {["Content-Type"] = "image/png"}),   -- 413 from the header
  post(good, {Accept = "image/png"}),
}

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  index = math.random(#mix)
end

function request()
  index = index % #mix + 1
  return mix[index]
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local line = "status counts:"
  for status, n in pairs(total) do line = line .. string.format(" %d=%d", status, n) end
  print(line)
end

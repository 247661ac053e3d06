-- wrk script: POSTs one image to /invocations (bench/serve_wrk.sh sets WRK_IMAGE and WRK_ACCEPT).
local f = assert(io.open(os.getenv("WRK_IMAGE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
wrk.headers["Accept"] = os.getenv("WRK_ACCEPT") or "image/png"

local non200 = 0
response = function(status, headers, body)
  if status ~= 200 then non200 = non200 + 1 end
end

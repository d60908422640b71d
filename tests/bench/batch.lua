-- batch.lua: wrk script for `make bench`: POSTs the same LFS batch body
-- (file named by $BENCH_BODY) on every request, with the LFS media type.
-- No response() hook on purpose: it would make wrk hand every answer to
-- Lua and measure wrk instead of the server; run.sh reads wrk's
-- "Non-2xx" line instead.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/vnd.git-lfs+json"
wrk.headers["Accept"] = "application/vnd.git-lfs+json"

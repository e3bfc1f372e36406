-- wrk script of deploy/load/run.sh: a mixed read load over the public URLs.
--
--   LOAD_PATHS=FILE wrk -t2 -c256 -d60s --timeout 10s -s deploy/load/mixed.lua http://127.0.0.1:PORT
--
-- FILE has one request a line, tab-separated:  PATH [ACCEPT-ENCODING [IF-NONE-MATCH]]
-- (run.sh writes it: feeds in every format and encoding, some with the ETag
-- they had at the start, the OPML, the home page, topic pages, release pages).
-- Each thread walks the list from its own offset, round and round.
-- Responses are counted by status class; done() prints one line:
--   LOAD requests=.. duration_s=.. rps=.. socket_errors=.. connect=.. read=.. write=..
--        timeout=.. s2xx=.. s304=.. s3xx=.. s4xx=.. s5xx=.. p50_ms=.. p99_ms=.. max_ms=..
local threads = {}

function setup(thread)
   thread:set("thread_no", #threads)
   table.insert(threads, thread)
end

local function split(line)
   local fields = {}
   for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(fields, field) end
   return fields
end

function init(args)
   local name = os.getenv("LOAD_PATHS")
   local f = assert(io.open(name or "", "r"), "LOAD_PATHS must name the request list")
   reqs = {}
   for line in f:lines() do
      local p = split(line)
      if p[1] and p[1]:sub(1, 1) == "/" then
         local h = {}
         if p[2] and p[2] ~= "" then h["Accept-Encoding"] = p[2] end
         if p[3] and p[3] ~= "" then h["If-None-Match"] = p[3] end
         table.insert(reqs, wrk.format("GET", p[1], h))
      end
   end
   f:close()
   assert(#reqs > 0, "no requests in " .. name)
   -- threads start at different places so they do not move in step
   idx = (thread_no * 37) % #reqs
   s2xx, s304, s3xx, s4xx, s5xx = 0, 0, 0, 0, 0
end

function request()
   idx = idx % #reqs + 1
   return reqs[idx]
end

function response(status, headers, body)
   if status == 304 then
      s304 = s304 + 1
   elseif status >= 500 then
      s5xx = s5xx + 1
   elseif status >= 400 then
      s4xx = s4xx + 1
   elseif status >= 300 then
      s3xx = s3xx + 1
   else
      s2xx = s2xx + 1
   end
end

function done(summary, latency, requests)
   local c = {s2xx = 0, s304 = 0, s3xx = 0, s4xx = 0, s5xx = 0}
   for _, t in ipairs(threads) do
      for k in pairs(c) do c[k] = c[k] + (t:get(k) or 0) end
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "LOAD requests=%d duration_s=%.1f rps=%.1f socket_errors=%d connect=%d read=%d write=%d timeout=%d " ..
      "s2xx=%d s304=%d s3xx=%d s4xx=%d s5xx=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.1f\n",
      summary.requests, secs, summary.requests / secs,
      e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout,
      c.s2xx, c.s304, c.s3xx, c.s4xx, c.s5xx,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

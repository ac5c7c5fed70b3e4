-- wrk script for `make bench-http`: small auto-applied transfers, PATCH /wallets/balance, each with a unique order id.
-- wrk's Lua cannot compute SHA-1, so the signed requests come from a file written by
-- `walletbridge-bench http-requests` (one `BODY<TAB>SIGNATURE` per line). Each wrk thread takes every n-th line,
-- so no order id is sent twice (a repeat would be an idempotent replay, not a transfer).
-- Arguments after `--`: REQUEST_FILE API_KEY THREADS.

local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

function init(args)
   local file, key, thread_count = args[1], args[2], tonumber(args[3])
   signed_requests = {}
   local line_number = 0
   for line in io.lines(file) do
      if line_number % thread_count == thread_index then
         local body, signature = line:match("^(.-)\t(.+)$")
         signed_requests[#signed_requests + 1] = wrk.format("PATCH", "/wallets/balance",
            { ["key"] = key, ["signature"] = signature, ["Content-Type"] = "application/json" }, body)
      end
      line_number = line_number + 1
   end
   next_request = 0
   status_200 = 0
   status_other = 0
   exhausted = 0
end

function request()
   next_request = next_request + 1
   if next_request > #signed_requests then
      -- Out of unique orders: stop this thread rather than replay; the script reports it.
      exhausted = 1
      wrk.thread:stop()
      next_request = #signed_requests
   end
   return signed_requests[next_request]
end

function response(status, headers, body)
   if status == 200 then status_200 = status_200 + 1 else status_other = status_other + 1 end
end

function done(summary, latency, requests)
   local ok, other, ran_out = 0, 0, 0
   for _, thread in ipairs(threads) do
      ok = ok + thread:get("status_200")
      other = other + thread:get("status_other")
      ran_out = ran_out + thread:get("exhausted")
   end
   io.write(string.format("transfers_200: %d\ntransfers_other: %d\nthreads_out_of_requests: %d\n", ok, other, ran_out))
end

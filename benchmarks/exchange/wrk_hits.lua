-- wrk script for bench_hits.py: sends each line of ALIANZA_WRK_LINES once, the lines
-- shared out over wrk's threads. A line is one pre-signed message (POST) or one query
-- path (GET, the anchor). Signed messages carry a nonce that may be used only once, so
-- a run longer than the lines last wraps around and gets refusals, counted as non-2xx.
local path = os.getenv("ALIANZA_WRK_LINES")
local mode = os.getenv("ALIANZA_WRK_MODE")
local nthreads = tonumber(os.getenv("ALIANZA_WRK_THREADS"))
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  lines = {}
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == id then
      lines[#lines + 1] = line
    end
    n = n + 1
  end
  sent = 0
end

function request()
  sent = sent + 1
  local line = lines[(sent - 1) % #lines + 1]
  if mode == "get" then
    return wrk.format("GET", line)
  end
  return wrk.format("POST", "/api/v1/exchange", {["Content-Type"] = "application/json"}, line)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

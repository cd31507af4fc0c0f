-- wrk script for every benchmarked request, configured from the environment:
--   BENCH_METHOD, BENCH_PATH, BENCH_COOKIE, BENCH_EXPECT (status a request must get)
--   BENCH_MODE = "get" | "login" | "confirm"
--     login:   POST the login form; BENCH_CSRF is the form token that belongs to the
--              pre-session cookie in BENCH_COOKIE; emails are cycled from BENCH_LIST
--     confirm: POST {"token": ...} to the JSON verify endpoint; each request spends one
--              pre-minted token from BENCH_LIST, starting at line BENCH_OFFSET
-- done() prints one line "BENCH {json}" that bench/run.py reads.

local mode = os.getenv("BENCH_MODE") or "get"
local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local cookie = os.getenv("BENCH_COOKIE") or ""
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local threads = {}
local thread_count = 0

local function read_lines(name)
  local lines = {}
  for line in io.lines(name) do
    lines[#lines + 1] = line
  end
  return lines
end

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  counter = 0
  headers = { ["Cookie"] = cookie ~= "" and cookie or nil }
  if mode ~= "get" then
    items = read_lines(os.getenv("BENCH_LIST"))
    stride = tonumber(os.getenv("BENCH_THREADS") or "1")
    position = tonumber(os.getenv("BENCH_OFFSET") or "0") + thread_index
  end
  if mode == "login" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    csrf = os.getenv("BENCH_CSRF")
  elseif mode == "confirm" then
    headers["Content-Type"] = "application/json"
  end
end

function request()
  if mode == "login" then
    local email = items[(counter % #items) + 1]
    counter = counter + 1
    local body = "csrf_token=" .. csrf .. "&next=&email=" .. email
    return wrk.format(method, path, headers, body)
  elseif mode == "confirm" then
    -- Past the end of the list the server answers 400: counted as unexpected.
    local token = items[position + 1] or "exhausted"
    position = position + stride
    return wrk.format(method, path, headers, '{"token": "' .. token .. '"}')
  end
  return wrk.format(method, path, headers)
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"unexpected": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    bad, errors.connect + errors.read + errors.write + errors.timeout
  ))
end

-- wrk script for every benchmarked request (portal, ceiling and peer), configured from the
-- environment by bench/run.py:
--   BENCH_METHOD, BENCH_PATH, BENCH_COOKIE, BENCH_CONTENT_TYPE
--   BENCH_BODY    the request body; "{item}" in it (or in BENCH_PATH) is replaced by an item
--   BENCH_LIST    a file of items, one a line: thread N of BENCH_THREADS takes the lines
--                 BENCH_OFFSET + N, then every BENCH_THREADS-th after it
--   BENCH_SPEND   "1": each item once (single-use links; past the end of the list the
--                 request carries "exhausted" and the server's refusal counts as
--                 unexpected); otherwise the list is cycled
-- and what a request must get to count as expected:
--   BENCH_EXPECT           the status
--   BENCH_EXPECT_LOCATION  text the Location header must contain (Flask-Security-Too
--                          redirects a refused link too, only elsewhere)
--   BENCH_EXPECT_TEXT      text the body must contain (a form page answers 200 on errors too)
-- done() prints one line "BENCH {json}" that bench/run.py reads.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""
local content_type = os.getenv("BENCH_CONTENT_TYPE") or ""
local list = os.getenv("BENCH_LIST") or ""
local spend = os.getenv("BENCH_SPEND") == "1"
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local expect_location = os.getenv("BENCH_EXPECT_LOCATION") or ""
local expect_text = os.getenv("BENCH_EXPECT_TEXT") or ""
local threads = {}
local thread_count = 0

local function read_lines(name)
  local lines = {}
  for line in io.lines(name) do
    lines[#lines + 1] = line
  end
  return lines
end

-- "a{item}b" -> "a", "b" (nil, nil without a placeholder): concatenation per request.
local function split(template)
  local first, last = string.find(template, "{item}", 1, true)
  if first == nil then
    return nil, nil
  end
  return string.sub(template, 1, first - 1), string.sub(template, last + 1)
end

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  headers = {}
  if cookie ~= "" then
    headers["Cookie"] = cookie
  end
  if content_type ~= "" then
    headers["Content-Type"] = content_type
  end
  if list ~= "" then
    items = read_lines(list)
    stride = tonumber(os.getenv("BENCH_THREADS") or "1")
    position = tonumber(os.getenv("BENCH_OFFSET") or "0") + thread_index
    path_head, path_tail = split(path)
    body_head, body_tail = split(body)
  end
end

function request()
  if items == nil then
    return wrk.format(method, path, headers, body ~= "" and body or nil)
  end
  local item
  if spend then
    item = items[position + 1] or "exhausted"
  else
    item = items[(position % #items) + 1]
  end
  position = position + stride
  local this_path = path_head and (path_head .. item .. path_tail) or path
  local this_body = body_head and (body_head .. item .. body_tail) or body
  return wrk.format(method, this_path, headers, this_body ~= "" and this_body or nil)
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
  elseif expect_location ~= ""
      and not string.find(headers["Location"] or "", expect_location, 1, true) then
    unexpected = unexpected + 1
  elseif expect_text ~= "" and not string.find(body or "", expect_text, 1, true) then
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

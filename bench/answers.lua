-- wrk script of bench.submissions: POST satisfaction answers through household links, each
-- request the next link of the list (args[1]: a file of "token round" lines); with args[2]
-- "floor", POST to the one-INSERT floor view instead. Prints one JSON line when done.
local tokens, rounds = {}, {}
local counter = 0
local kind = "answers"
local csrf = "benchcsrftokenbenchcsrftoken0123"  -- 32 characters: an unmasked CSRF secret

init = function(args)
  kind = args[2] or "answers"
  for line in io.lines(args[1]) do
    local token, round = line:match("(%S+)%s+(%S+)")
    tokens[#tokens + 1] = token
    rounds[#rounds + 1] = round
  end
  counter = math.random(#tokens)
end

request = function()
  counter = counter + 1
  local i = (counter % #tokens) + 1
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. csrf,
    ["X-Forwarded-Proto"] = "https",
    ["Origin"] = "https://" .. wrk.host .. ":" .. wrk.port,
  }
  if kind == "floor" then
    return wrk.format("POST", "/bench/insert/", headers, "")
  end
  local body = "csrfmiddlewaretoken=" .. csrf .. "&survey_round=" .. rounds[i]
    .. "&overall=satisfied&content=satisfied&process=basically_satisfied"
    .. "&long_term=satisfied&comment="
  return wrk.format("POST", "/h/" .. tokens[i] .. "/satisfaction/", headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,'
    .. '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.status, e.timeout))
end

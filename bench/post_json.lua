-- wrk script for bench/run.py: POST the JSON body in $WRK_BODY with
-- Content-Type: application/json, and count the answers that say "valid": true.
--
--   WRK_BODY='{"machine_id": "...", "license_key": "..."}' wrk -s bench/post_json.lua URL
--
-- done() prints one line that run.py parses:
--   post_json: valid <n> invalid <n>
-- "invalid" is any answer that is not a 200 whose body contains "valid": true
-- (a 200 with "valid": false, a 4xx/5xx, ...).

local body = os.getenv("WRK_BODY")
if body == nil or body == "" then
  error("post_json.lua: set WRK_BODY to the JSON request body")
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  valid = 0
  invalid = 0
end

function response(status, headers, response_body)
  -- Django's JsonResponse writes json.dumps' default separators: "valid": true
  if status == 200 and string.find(response_body, '"valid": true', 1, true) then
    valid = valid + 1
  else
    invalid = invalid + 1
  end
end

function done(summary, latency, requests)
  local total_valid, total_invalid = 0, 0
  for _, thread in ipairs(threads) do
    total_valid = total_valid + thread:get("valid")
    total_invalid = total_invalid + thread:get("invalid")
  end
  io.write(string.format("post_json: valid %d invalid %d\n", total_valid, total_invalid))
end

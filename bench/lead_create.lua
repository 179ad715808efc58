-- wrk script for bench/leads_create.py: POST /api/leads/create as an influencer
-- (Authorization: Bearer $WRK_TOKEN), each request a new client (unique e-mail and
-- phone, so the duplicate check lets every lead through), on campaign $WRK_CAMPAIGN.
--
-- done() prints one line that the bench parses:
--   lead_create: created <n> refused <n>
-- "created" is a 201; "refused" is anything else (409 duplicate or deposit, 429, 5xx...).

local token = os.getenv("WRK_TOKEN")
local campaign = os.getenv("WRK_CAMPAIGN")
if token == nil or campaign == nil then
  error("lead_create.lua: set WRK_TOKEN and WRK_CAMPAIGN")
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  created = 0
  refused = 0
  seed = tostring(os.time()) .. "-" .. tostring(id) .. "-" .. tostring(math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"campaign_id": %s, "client_name": "Client %d", "client_email": "c%s-%d@bench.example.com",'
      .. ' "client_phone": "", "company": "Bench", "estimated_value": "1500", "source": "instagram", "notes": ""}',
    campaign, counter, seed, counter
  )
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local total_created, total_refused = 0, 0
  for _, thread in ipairs(threads) do
    total_created = total_created + thread:get("created")
    total_refused = total_refused + thread:get("refused")
  end
  io.write(string.format("lead_create: created %d refused %d\n", total_created, total_refused))
end

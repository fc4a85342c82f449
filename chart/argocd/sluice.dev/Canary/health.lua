-- Argo CD health of a sluice.dev Canary: status.phase, status.paused, the Stalled condition
-- and status.observedGeneration, mapped to Healthy, Progressing, Degraded or Suspended.
-- Argo CD's Lua sandbox has no string or math library: only concatenation and tables here.
local hs = {}

local function conditionTrue(status, conditionType)
  if status.conditions == nil then
    return false
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c.status == "True"
    end
  end
  return false
end

local function describe(text, status)
  if status.message ~= nil and status.message ~= "" then
    return text .. ": " .. status.message
  end
  return text
end

local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Sluice operator to initialize the canary"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the Sluice operator to observe generation " .. generation
  return hs
end

local phase = status.phase
local weight = ""
if status.canaryWeight ~= nil and status.canaryWeight > 0 then
  weight = " at " .. status.canaryWeight .. "%"
end

if phase == "Failed" then
  hs.status = "Degraded"
  hs.message = describe("Failed", status)
elseif phase == "Succeeded" or phase == "Initialized" or phase == "Terminated" then
  hs.status = "Healthy"
  hs.message = describe(phase, status)
  if status.paused == true then
    hs.message = hs.message .. " (paused: the next rollout waits for a resume action)"
  end
elseif conditionTrue(status, "Stalled") then
  -- The target Deployment is missing or missed its progress deadline: no rollout can finish.
  hs.status = "Degraded"
  hs.message = describe("Stalled in " .. phase, status)
elseif status.paused == true then
  hs.status = "Suspended"
  hs.message = describe("Paused" .. weight, status)
elseif phase == "Waiting" then
  hs.status = "Suspended"
  hs.message = describe("Waiting for approval to start the rollout", status)
elseif phase == "WaitingPromotion" then
  hs.status = "Suspended"
  hs.message = describe("Waiting for approval to promote" .. weight, status)
elseif phase == "Initializing" or phase == "Progressing" or phase == "Promoting" or phase == "Finalising" or phase == "Terminating" then
  hs.status = "Progressing"
  hs.message = describe(phase .. weight, status)
else
  hs.status = "Unknown"
  hs.message = "Unknown phase " .. phase
end
return hs

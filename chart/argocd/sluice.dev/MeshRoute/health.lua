-- Argo CD health of a sluice.dev MeshRoute: Accepted (the spec is usable) and Programmed
-- (every waypoint proxy applied it), for the generation in metadata.generation.
-- Argo CD's Lua sandbox has no string or math library: only concatenation and tables here.
local hs = {}

local function condition(status, conditionType)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function describe(c)
  local text = c.reason or ""
  if c.message ~= nil and c.message ~= "" then
    if text ~= "" then
      text = text .. ": "
    end
    text = text .. c.message
  end
  return text
end

local status = obj.status
if status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Sluice operator to accept the route"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the Sluice operator to observe generation " .. generation
  return hs
end

local accepted = condition(status, "Accepted")
local programmed = condition(status, "Programmed")
if accepted == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Sluice operator to accept the route"
elseif accepted.status ~= "True" then
  hs.status = "Degraded"
  hs.message = "Not accepted: " .. describe(accepted)
elseif programmed ~= nil and programmed.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(programmed)
elseif programmed ~= nil and programmed.reason == "Rejected" then
  -- A proxy refused the configuration: it keeps serving the previous one.
  hs.status = "Degraded"
  hs.message = describe(programmed)
elseif programmed ~= nil then
  hs.status = "Progressing"
  hs.message = describe(programmed)
else
  hs.status = "Progressing"
  hs.message = "Waiting for the waypoint proxies to apply the route"
end
return hs

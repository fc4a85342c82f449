-- Which Sluice manual actions apply to this Canary right now; the operator refuses the
-- others anyway (status.manualAction says why), this keeps the menu honest.
local actions = {}
local phase = ""
local paused = false
if obj.status ~= nil then
  if obj.status.phase ~= nil then
    phase = obj.status.phase
  end
  paused = obj.status.paused == true
end
local active = phase == "Progressing" or phase == "Waiting" or phase == "WaitingPromotion"

actions["promote"] = {["disabled"] = not active, ["iconClass"] = "fa fa-fw fa-forward", ["displayName"] = "Promote now"}
actions["abort"] = {["disabled"] = not (active or phase == "Promoting"), ["iconClass"] = "fa fa-fw fa-times-circle", ["displayName"] = "Abort and roll back"}
actions["retry"] = {["disabled"] = phase ~= "Failed", ["iconClass"] = "fa fa-fw fa-redo-alt", ["displayName"] = "Retry the failed revision"}
actions["pause"] = {["disabled"] = paused, ["iconClass"] = "fa fa-fw fa-pause-circle", ["displayName"] = "Pause"}
actions["resume"] = {["disabled"] = not paused, ["iconClass"] = "fa fa-fw fa-play-circle", ["displayName"] = "Resume"}
return actions

-- Asks the Sluice operator to hold the rollout at its current step.
-- Drift-free: an annotation "pause:<nonce>", never a change to the spec Git owns. A fresh
-- nonce makes each request a new one; the operator answers in status.manualAction.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["sluice.dev/action"] = "pause:argocd-" .. os.time()
return obj

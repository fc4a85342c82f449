-- Asks the Sluice operator to continue a paused rollout.
-- Drift-free: an annotation "resume:<nonce>", never a change to the spec Git owns. A fresh
-- nonce makes each request a new one; the operator answers in status.manualAction.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["sluice.dev/action"] = "resume:argocd-" .. os.time()
return obj

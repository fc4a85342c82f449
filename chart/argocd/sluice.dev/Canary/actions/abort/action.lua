-- Asks the Sluice operator to abort the rollout: all traffic back to the primary at once.
-- Drift-free: an annotation "abort:<nonce>", never a change to the spec Git owns. A fresh
-- nonce makes each request a new one; the operator answers in status.manualAction.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["sluice.dev/action"] = "abort:argocd-" .. os.time()
return obj

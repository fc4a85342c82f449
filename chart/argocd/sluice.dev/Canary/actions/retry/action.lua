-- Asks the Sluice operator to retry the failed revision from the first step.
-- Drift-free: an annotation "retry:<nonce>", never a change to the spec Git owns. A fresh
-- nonce makes each request a new one; the operator answers in status.manualAction.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["sluice.dev/action"] = "retry:argocd-" .. os.time()
return obj

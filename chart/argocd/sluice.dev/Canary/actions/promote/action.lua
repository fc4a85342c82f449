-- Asks the Sluice operator to promote the canary now, without further analysis.
-- Drift-free: an annotation "promote:<nonce>", never a change to the spec Git owns. A fresh
-- nonce makes each request a new one; the operator answers in status.manualAction.
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["sluice.dev/action"] = "promote:argocd-" .. os.time()
return obj

-- Argo CD action run-now for schedule-operator.io/Schedule: asks the operator for one run now by setting the
-- annotation schedule-operator.io/run-requested-at to a new token (the current UTC time, to the second),
-- exactly as `schedule-operator run` does. The operator starts at most one Job per token and records in
-- status.lastRunRequest whether it started or refused it (a run still active). Returns the changed Schedule,
-- which Argo CD patches.
local os = require("os")

if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["schedule-operator.io/run-requested-at"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj

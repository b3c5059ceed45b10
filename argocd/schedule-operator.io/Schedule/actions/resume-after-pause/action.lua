-- Argo CD action resume-after-pause for schedule-operator.io/Schedule: after the operator paused a Schedule
-- (spec.pauseAfterConsecutiveFailures reached: condition Suspended, reason PausedAfterFailures), asks it to
-- resume by setting the annotation schedule-operator.io/resume-requested-at to a new token (the current UTC
-- time, to the second), as `schedule-operator resume` does. spec is not touched, so Git stays the truth.
local os = require("os")

if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["schedule-operator.io/resume-requested-at"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj

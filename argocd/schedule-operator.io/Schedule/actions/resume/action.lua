-- Argo CD action resume for schedule-operator.io/Schedule: spec.suspend = false, undoing suspend. A pause
-- after failures (condition Suspended, reason PausedAfterFailures) is lifted with resume-after-pause instead.
obj.spec.suspend = false
return obj

-- Argo CD resource actions for schedule-operator.io/Schedule: which actions a Schedule offers now.
-- Every action is always listed; the ones that would do nothing are disabled, so the menu stays the same
-- shape and says why an action is greyed out by its state.
--
--   run-now             start one run now (annotation schedule-operator.io/run-requested-at = a new token);
--                       disabled while a run is active: the operator would refuse it (runs never overlap)
--   suspend             spec.suspend = true; disabled when already suspended
--   resume              spec.suspend = false; disabled when not suspended by spec.suspend
--   resume-after-pause  annotation schedule-operator.io/resume-requested-at = a new token; enabled only while
--                       the operator has paused the Schedule (condition Suspended, reason PausedAfterFailures)
--
-- suspend and resume change the spec: with automated sync and selfHeal, Argo CD puts Git's value back.
-- Change spec.suspend in Git for a lasting suspension; the annotations do not make the Application OutOfSync.
-- Written for gopher-lua (Lua 5.1) without the string library (see health.lua).
local actions = {}

local function condition(type)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local suspendedBySpec = obj.spec ~= nil and obj.spec.suspend == true
local running = obj.status ~= nil and obj.status.active ~= nil and #obj.status.active > 0
local paused = condition("Suspended")
local pausedAfterFailures = paused ~= nil and paused.status == "True" and paused.reason == "PausedAfterFailures"

actions["run-now"] = {["iconClass"] = "fa fa-fw fa-play-circle", ["displayName"] = "Run now", ["disabled"] = running}
actions["suspend"] = {["iconClass"] = "fa fa-fw fa-pause", ["displayName"] = "Suspend", ["disabled"] = suspendedBySpec}
actions["resume"] = {["iconClass"] = "fa fa-fw fa-play", ["displayName"] = "Resume", ["disabled"] = not suspendedBySpec}
actions["resume-after-pause"] = {["iconClass"] = "fa fa-fw fa-redo", ["displayName"] = "Resume after pause", ["disabled"] = not pausedAfterFailures}

return actions

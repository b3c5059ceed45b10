-- Argo CD health check for schedule-operator.io/Schedule
-- (argocd-cm key resource.customizations.health.schedule-operator.io_Schedule).
--
--   Progressing  no status yet, or the operator has not yet observed the latest generation
--   Degraded     Ready=False (InvalidSpec, CronJobRejected, ...): the Schedule will not run as written
--   Suspended    spec.suspend is true (and the spec is valid)
--   Healthy      Ready=True for the current generation
--
-- A failed last run leaves the Schedule Healthy: a run is the workload's business, not the Schedule's
-- (Argo CD's CronJob check flips to Degraded on failures, and users complain). Annotate the Schedule
-- schedule-operator.io/argocd-degrade-on-failure: "true" to show Degraded while the last run failed.
-- Written for Lua 5.1 (gopher-lua, Argo CD's interpreter) and tested with Lua 5.4.
local hs = {}

local function readyCondition(status)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == "Ready" then
      return c
    end
  end
  return nil
end

local function describe(c)
  local reason = c.reason or "Unknown"
  if c.message ~= nil and c.message ~= "" then
    return reason .. ": " .. c.message
  end
  return reason
end

local status = obj.status
local spec = obj.spec or {}
local generation = obj.metadata and obj.metadata.generation
local annotations = (obj.metadata and obj.metadata.annotations) or {}

if status == nil or status.observedGeneration == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for schedule-operator to reconcile the Schedule"
  return hs
end

if generation ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = string.format("Waiting for schedule-operator to observe generation %d (status describes %d)", generation, status.observedGeneration)
  return hs
end

local ready = readyCondition(status)
if ready == nil or ready.status == "Unknown" then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  if ready ~= nil then
    hs.message = hs.message .. " (" .. describe(ready) .. ")"
  end
  return hs
end

if ready.status == "False" and ready.reason ~= "Suspended" then
  hs.status = "Degraded"
  hs.message = describe(ready)
  return hs
end

if spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Suspended: spec.suspend is true; no new runs start"
  return hs
end

local lastRun = status.lastRun
if annotations["schedule-operator.io/argocd-degrade-on-failure"] == "true" and lastRun ~= nil and lastRun.result == "Failed" then
  hs.status = "Degraded"
  hs.message = "Last run " .. (lastRun.jobName or "?") .. " failed"
  if lastRun.reason ~= nil then
    hs.message = hs.message .. " (" .. lastRun.reason .. ")"
  end
  return hs
end

hs.status = "Healthy"
local parts = {}
if status.effectiveSchedule ~= nil then
  table.insert(parts, "Schedule " .. status.effectiveSchedule)
end
if status.nextRunTime ~= nil then
  table.insert(parts, "next run " .. status.nextRunTime)
end
if lastRun ~= nil and lastRun.result ~= nil then
  table.insert(parts, "last run " .. lastRun.result)
end
if #parts == 0 then
  hs.message = describe(ready)
else
  hs.message = table.concat(parts, "; ")
end
return hs

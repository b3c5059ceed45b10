{{/* The release's object name prefix (63-char DNS label). */}}
{{- define "schedule-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "schedule-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "schedule-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "schedule-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "schedule-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "schedule-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: schedule-operator
{{- end -}}

{{/* testLabels: the `helm test` objects' labels; not the selector labels, so no Service or PDB selects the test Pod. */}}
{{- define "schedule-operator.testLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "schedule-operator.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: helm-test
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: schedule-operator
{{- end -}}

{{- define "schedule-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "schedule-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "schedule-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "schedule-operator.webhookServiceName" -}}
{{- printf "%s-webhook" (include "schedule-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "schedule-operator.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "schedule-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* useCertManager: "true" when the webhook certificate comes from cert-manager. */}}
{{- define "schedule-operator.useCertManager" -}}
{{- $mode := .Values.webhook.certManager.enabled -}}
{{- if eq (toString $mode) "auto" -}}
{{- .Capabilities.APIVersions.Has "cert-manager.io/v1" -}}
{{- else -}}
{{- $mode -}}
{{- end -}}
{{- end -}}

{{/*
The operator's permissions, one rule per need (docs/install.md explains each).
No wildcards, no delete: owned CronJobs are removed by the garbage collector through ownerReferences.
*/}}
{{- define "schedule-operator.namespacedRules" -}}
# Schedules: the informer lists and watches them; the reconciler reads each.
- apiGroups: ["schedule-operator.io"]
  resources: ["schedules"]
  verbs: ["get", "list", "watch"]
# status is the operator's only write to a Schedule.
- apiGroups: ["schedule-operator.io"]
  resources: ["schedules/status"]
  verbs: ["get", "update", "patch"]
# The CronJob's ownerReference has blockOwnerDeletion: true, which the API server allows only to those
# who may update the owner's finalizers (OwnerReferencesPermissionEnforcement).
- apiGroups: ["schedule-operator.io"]
  resources: ["schedules/finalizers"]
  verbs: ["update"]
# CronJobs: watched, created and changed by server-side apply (patch); create also serves the webhook's dry run.
- apiGroups: ["batch"]
  resources: ["cronjobs"]
  verbs: ["get", "list", "watch", "create", "patch", "update"]
# The CronJob's status.active: running manual Jobs are added, so the CronJob controller's Forbid sees them.
- apiGroups: ["batch"]
  resources: ["cronjobs/status"]
  verbs: ["patch"]
# Jobs: watched for the run ledger; created by run-now; patched/updated to remove the ledger finalizer.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "watch", "create", "patch", "update"]
# Events on transitions, for people (kubectl describe sched).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
# Pods: read only, and only those of a Job that failed (listed once, when its run is counted), so a failed run
# shows the container's exit code, reason (Error, OOMKilled, ...) and termination message in status.lastRun.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list"]
{{- if .Values.callbacks.readSecrets }}
# Secrets: get only (no list/watch), for the HMAC key named by spec.notify.secretRef.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}
{{- end -}}

{{/* alertSelector: the label matchers that pick this release's series in alerts and the dashboard. */}}
{{- define "schedule-operator.alertSelector" -}}
{{- if .Values.alerts.selector -}}
{{- .Values.alerts.selector -}}
{{- else -}}
{{- printf "job=%q" (printf "%s-metrics" (include "schedule-operator.fullname" .)) -}}
{{- end -}}
{{- end -}}

{{/* runbookUrl: where docs/runbooks.md is published; each alert links to its section. */}}
{{- define "schedule-operator.runbookUrl" -}}
{{- if .Values.alerts.runbookUrl -}}
{{- .Values.alerts.runbookUrl -}}
{{- else -}}
{{- printf "%s/blob/main/docs/runbooks.md" (trimSuffix "/" .Chart.Home) -}}
{{- end -}}
{{- end -}}

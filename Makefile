# schedule-operator: the commands a Kubernetes developer expects.
# Every target runs on a Node LTS (>= 22): hack/node.sh installs Node 24 from npm when the machine's is older.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
NODE_BIN := $(shell bash hack/node.sh)
export PATH := $(NODE_BIN):$(PATH)
CLUSTER := bash test/cluster/cluster.sh

.PHONY: all deps build test test-unit test-integration lint format crds run demo cluster-up cluster-down cluster-binaries helm-lint docker-build deploy bench bench-fleet bench-completion bench-startup clean chart-readme argocd-cm

all: build

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

## build: compile TypeScript to dist/ (./bin/schedule-operator runs it)
build: deps
	npx tsc -p tsconfig.build.json

## crds: regenerate crds/ from the zod schemas in src/api
crds: deps
	npx tsx src/api/write-crds.ts
	cp crds/*.yaml charts/schedule-operator/files/crds/
	npx tsx hack/chart-ledger-policy.ts
	npx tsx hack/chart-readme.ts

## lint: type-check everything, including tests; Biome's linter and formatter check (biome.json)
lint: deps
	npx tsc -p tsconfig.json --noEmit
	npx biome check .

## format: apply Biome's formatting and safe lint fixes
format: deps
	npx biome check --write .

## test: every test - unit, then integration against the real control plane (built on first use).
## Integration tests start ./bin/schedule-operator, which runs dist/: so build first.
test: deps lint build cluster-binaries
	@rm -f .vitest-report.json
	@status=0; npx vitest run --reporter=default --reporter=json --outputFile.json=.vitest-report.json || status=$$?; \
	  node hack/test-summary.mjs .vitest-report.json; exit $$status

test-unit: deps
	npx vitest run --project unit

test-integration: deps build cluster-binaries
	npx vitest run --project integration

## cluster-binaries: build (once, cached) etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok
cluster-binaries:
	@bash test/cluster/build.sh >/dev/null

## cluster-up: start a local control plane; writes .cluster/kubeconfig
cluster-up: cluster-binaries
	$(CLUSTER) up

## cluster-down: stop exactly the processes cluster-up started, remove state
cluster-down:
	$(CLUSTER) down

## run: the operator against the local control plane, examples applied, status shown
run demo: build cluster-up
	bash hack/demo.sh

bench: deps
	npx tsx bench/run.ts

clean:
	rm -rf dist

# ---- installing (issue 5): chart, image, deploy -------------------------------------------------------
HELM ?= $(shell bash test/cluster/build.sh 2>/dev/null)/helm
CHART := charts/schedule-operator
RELEASE ?= schedule-operator
NAMESPACE ?= schedule-operator

## helm-lint: lint the chart with default and non-default values, and render it
helm-lint: cluster-binaries
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) --set 'watchNamespaces={team-a,team-b}' --set webhook.certManager.enabled=true --set metrics.serviceMonitor.enabled=true --set networkPolicy.enabled=true --set alerts.enabled=true --set dashboard.enabled=true
	$(HELM) template $(RELEASE) $(CHART) --namespace $(NAMESPACE) >/dev/null

## chart-readme: regenerate charts/schedule-operator/README.md from values.yaml
chart-readme: deps
	npx tsx hack/chart-readme.ts

## argocd-cm: regenerate argocd/argocd-cm-patch.yaml from argocd/<group>/<Kind>/ (health.lua, actions/)
argocd-cm: deps
	npx tsx hack/argocd-cm.ts

## docker-build: `docker build` when a Docker engine answers; otherwise (this machine) run the Dockerfile's
## steps without an engine (hack/dockerfile-steps.ts) and check the result starts
IMAGE ?= schedule-operator:dev
docker-build: deps
	@if docker info >/dev/null 2>&1; then docker build -t $(IMAGE) .; \
	else echo "no Docker engine: running the Dockerfile's steps without one"; npx tsx hack/dockerfile-steps.ts; fi

## bench-webhook: admission latency at 50 concurrent requests, against the cluster of KUBECONFIG
bench-webhook: deps
	npx tsx bench/webhook.ts --requests 1000 --concurrency 50

## bench-fleet: convergence, writes, memory and idle CPU at 1,000, 5,000 and 10,000 Schedules (cluster of KUBECONFIG)
bench-fleet: deps build
	npx tsx bench/fleet.ts --count 1000,5000,10000

## bench-completion: Job finished -> counted in status, 100 Jobs due to finish at one instant, 3 rounds (cluster of KUBECONFIG,
## started with CLUSTER_KCM_ARGS="--kube-api-qps=500 --kube-api-burst=1000 --concurrent-job-syncs=20", docs/test-cluster.md)
bench-completion: deps build
	npx tsx bench/completion.ts --schedules 100 --rounds 3

## bench-startup: exec -> first output of next and run, exec -> caches synced of the controller (medians of 5)
bench-startup: deps build
	npx tsx bench/startup.ts --runs 5 --schedules 1000

## deploy: helm upgrade --install into the cluster of the current KUBECONFIG (IMAGE=repo:tag to choose the image)
deploy: cluster-binaries
	$(HELM) upgrade --install $(RELEASE) $(CHART) --namespace $(NAMESPACE) --create-namespace --take-ownership --force-conflicts \
	  --set image.repository=$(firstword $(subst :, ,$(IMAGE))) --set image.tag=$(or $(word 2,$(subst :, ,$(IMAGE))),dev)

## plugin: the standalone kubectl-schedule (no Node needed) for linux amd64/arm64, its krew archives and
## manifest in dist/plugin/ (hack/plugin.ts; cached by source hash in ~/.cache/schedule-operator/plugin)
.PHONY: plugin
plugin: deps
	npx tsx hack/plugin.ts

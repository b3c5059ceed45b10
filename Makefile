# schedule-operator: the commands a Kubernetes developer expects.
# Every target runs on a Node LTS (>= 22): hack/node.sh installs Node 24 from npm when the machine's is older.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
NODE_BIN := $(shell bash hack/node.sh)
export PATH := $(NODE_BIN):$(PATH)
CLUSTER := bash test/cluster/cluster.sh

.PHONY: all deps build test test-unit test-integration lint crds run demo cluster-up cluster-down cluster-binaries helm-lint docker-build deploy bench clean

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

## lint: type-check everything, including tests
lint: deps
	npx tsc -p tsconfig.json --noEmit

## test: every test - unit, then integration against the real control plane (built on first use)
test: deps lint cluster-binaries
	npx vitest run

test-unit: deps
	npx vitest run --project unit

test-integration: deps cluster-binaries
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

//go:build tools

// Wrapper module: pins krew, built by test/integration/plugin.test.ts to install the kubectl-schedule archives
// from dist/plugin/schedule.yaml the way `kubectl krew install --manifest --archive` does.
package tools

import _ "sigs.k8s.io/krew/cmd/krew"

//go:build tools

// Package tools keeps the command hack/build-helm.sh builds in this module's dependency graph.
package tools

import _ "helm.sh/helm/v3/cmd/helm"

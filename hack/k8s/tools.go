//go:build tools

// Package tools keeps the commands hack/build-k8s.sh builds in this module's dependency graph.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

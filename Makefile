# votequorum-operator. `make help` lists the targets.
MVN ?= mvn -B -ntp
CRD_DIR := crds
KEEP ?= 0
BENCH ?= *Benchmark
CHART_CRD_DIR := charts/votequorum-operator/crds

.DEFAULT_GOAL := help

.PHONY: help build doctor deps k8s test e2e sim bench crds format verify demo demo-down clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Compile and package the jar (target/quarkus-app/quarkus-run.jar), no tests
	$(MVN) package -DskipTests

k8s: ## Build kube-apiserver, etcd and kubectl from source once (cached under ~/.cache/votequorum-operator)
	hack/build-k8s.sh

doctor: ## Say what make test and make demo need on this machine, and how each missing piece is got
	@hack/doctor.sh

deps: ## Install the missing Debian packages (as root) and check what cannot be installed
	@hack/doctor.sh --install

test: deps k8s helm ## Run the unit tests, the integration tests and the end-to-end tier (real corosync, real nodes)
	$(MVN) verify -Dvotequorum.k8s.bin=$$(hack/build-k8s.sh --print-dir)

e2e: deps k8s k8s-nodes helm ## Run only the end-to-end tier: the failure matrix on real nodes, installed from the chart
	$(MVN) verify -Dtest=skip -Dsurefire.failIfNoSpecifiedTests=false -Dit.test='*E2E' \
		-Dvotequorum.k8s.bin=$$(hack/build-k8s.sh --print-dir)

sim: ## Run only the timeline simulation (*Simulation): 2,000 random timelines and the regression timelines, on a virtual clock
	$(MVN) test -Dtest='*Simulation' -Dsurefire.failIfNoSpecifiedTests=false

bench: deps k8s k8s-nodes helm ## Run the benchmarks (not tests; BENCH=TimeToFenceBenchmark for one) and print their figures, also in target/benchmarks/
	$(MVN) verify -Dtest=skip -Dsurefire.failIfNoSpecifiedTests=false -Dit.test='$(BENCH)' \
		-Dvotequorum.k8s.bin=$$(hack/build-k8s.sh --print-dir)
	@cat target/benchmarks/*.txt

crds: ## Regenerate crds/ from the Java model and copy them into the chart
	$(MVN) -q package -DskipTests
	$(MVN) -q exec:java@crds
	mkdir -p $(CHART_CRD_DIR)
	cp $(CRD_DIR)/*.yaml $(CHART_CRD_DIR)/

format: ## Format the Java sources (palantir-java-format through Spotless)
	$(MVN) -q spotless:apply

verify: crds ## Regenerate everything generated and fail if it differs from what is committed; check the format
	@$(MVN) -q spotless:check || { echo "error: the Java sources are not formatted; run 'make format' and commit the result" >&2; exit 1; }
	@if ! git diff --quiet -- $(CRD_DIR) $(CHART_CRD_DIR); then \
		git --no-pager diff --stat -- $(CRD_DIR) $(CHART_CRD_DIR); \
		echo "error: $(CRD_DIR)/ or $(CHART_CRD_DIR)/ is out of date with the model; run 'make crds' and commit the result" >&2; exit 1; fi
	@untracked=$$(git ls-files --others --exclude-standard -- $(CRD_DIR) $(CHART_CRD_DIR)); \
	if [ -n "$$untracked" ]; then \
		echo "error: generated files not committed: $$untracked" >&2; exit 1; fi
	@echo "verify: generated files match the model"

demo: ## The whole system on this machine: real nodes, the chart, an application, a cut and a heal (KEEP=1 keeps it; SCENE=two-node: a Lease as quorum device)
	@hack/doctor.sh --install
	KEEP=$(KEEP) SCENE=$(SCENE) hack/demo.sh

demo-down: ## Remove what `make demo KEEP=1` left running
	hack/demo.sh down

clean: ## Remove build output
	$(MVN) -q clean

# The container image of all three roles, built from Debian packages without a registry (docs/image.md).
.PHONY: image
JAR := target/quarkus-app/quarkus-run.jar

$(JAR): pom.xml $(shell find src/main -type f 2>/dev/null)
	$(MVN) package -DskipTests
	@touch $@

image: $(JAR) ## Build the container image into target/image/ (OCI layout and archive, docker-archive)
	hack/build-image.sh

# The Helm chart in charts/votequorum-operator.
.PHONY: helm chart

helm: ## Build helm from source once (cached under ~/.cache/votequorum-operator)
	hack/build-helm.sh

chart: helm ## Lint the Helm chart (--strict) and render it with the default values
	$$(hack/build-helm.sh --print-dir)/helm lint --strict charts/votequorum-operator
	$$(hack/build-helm.sh --print-dir)/helm template votequorum charts/votequorum-operator >/dev/null

# Real Kubernetes nodes (hack/real-nodes.sh, docs/testing.md): a control plane on the host and nodes
# of corosync, containerd and a kubelet in network namespaces.
.PHONY: k8s-nodes nodes-up nodes-down nodes-status
NODES ?= 3

k8s-nodes: ## Build kube-controller-manager, kube-scheduler and kubelet too, once (cached with kube-apiserver)
	hack/build-k8s.sh --nodes

nodes-up: k8s-nodes ## Start a control plane and NODES (3) real nodes; imports target/image if built (make image)
	hack/real-nodes.sh up $(NODES)

nodes-down: ## Stop the real nodes and the control plane and remove everything they made
	hack/real-nodes.sh down

nodes-status: ## Show the real nodes as Kubernetes and corosync see them
	hack/real-nodes.sh status

# RealNodesIT runs in make test and needs the node binaries.
test: k8s-nodes

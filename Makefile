# docr — common tasks. Needs only Go (and git for check-generated).
# `make test` is the whole suite; CI runs it through .ci/run.

GO          ?= go
# Build with the toolchain that go.mod names (its toolchain line: a Go release
# without the standard-library advisories of older ones). Some Go installations
# default to GOTOOLCHAIN=local, which would ignore that line.
GOTOOLCHAIN ?= auto
export GOTOOLCHAIN
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# controller-gen writes docr-controller's CRD (deploy/crd.yaml) and the
# deepcopy code of api/v1alpha1 from the Go types; pinned like staticcheck.
CONTROLLER_GEN ?= $(GO) run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0
# The upstream checkout the committed spec was extracted from, as pinned in
# spec/upstream.txt (its one non-comment line; make bump rewrites it, and the
# tests read it too). Override with UPSTREAM=/path/to/digitalocean/openapi for
# make spec-diff / make bump.
PINNED      := $(shell sed -n '/^[^\#]/{p;q;}' spec/upstream.txt)
UPSTREAM    ?= $(PINNED)

.PHONY: kubeassets bench-controller compat kubeletcompat fakeapiprocess ociconformance soak bench-build bench test-stress all generate spec spec-diff bump test-bump check-generated check-spec fmt-check vet staticcheck lint test test-race vuln fuzz fuzz-short

all: test

## generate: regenerate gen/ (client), docrtest/internal/server and docrtest/internal/embeddedspec from spec/, and the controller's CRD and deepcopy code from api/v1alpha1
generate:
	$(GO) generate ./...
	$(CONTROLLER_GEN) object paths=./api/...
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:stdout > deploy/crd.yaml.tmp
	mv deploy/crd.yaml.tmp deploy/crd.yaml

## spec: extract spec/registry.yaml from the pinned snapshot (overlay guards first), then regenerate
spec:
	@if [ "$(UPSTREAM)" != "$(PINNED)" ]; then \
		echo "spec: extracts the pinned $(PINNED) only; to move to $(UPSTREAM) run make bump UPSTREAM=$(UPSTREAM)"; exit 2; fi
	$(GO) run ./internal/buildtools/specextract -upstream $(PINNED) -out spec/registry.yaml -overlay spec/overlay.yaml
	$(MAKE) generate

## spec-diff: show what a fresh extraction from UPSTREAM would change, classified; status 2 if breaking
spec-diff:
	$(GO) run ./internal/buildtools/specextract -upstream $(UPSTREAM) -out spec/registry.yaml -overlay spec/overlay.yaml -diff -fail-on-breaking

## bump: move to a new upstream: make bump UPSTREAM=/path/to/openapi (all or nothing; see README)
bump:
	@if [ "$(UPSTREAM)" = "$(PINNED)" ] && [ -z "$(FORCE)" ]; then \
		echo "bump: UPSTREAM is the pinned $(PINNED); give the new checkout: make bump UPSTREAM=/path/to/openapi"; exit 2; fi
	bash internal/buildtools/scripts/bump.sh "$(UPSTREAM)"

## test-bump: make bump and the upstream watch script, end to end on a copy of the module (a few minutes)
test-bump:
	DOCR_TEST_BUMP=1 $(GO) test -count=1 -timeout 30m -run 'TestUpstreamWatch' ./internal/buildtools/specextract

# GENERATED: what make generate writes (and the spec it reads).
GENERATED   := gen docrtest/internal/server docrtest/internal/embeddedspec spec api/v1alpha1/zz_generated.deepcopy.go deploy/crd.yaml

## check-generated: regenerate from spec/ and fail on any difference (needs no ../shared)
check-generated: generate
	@if [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		echo "generated code is stale or edited by hand; run make generate and commit:"; \
		git status --porcelain -- $(GENERATED); git --no-pager diff --stat -- $(GENERATED); exit 1; \
	fi
	@echo "check-generated: gen/, docrtest/internal/server and docrtest/internal/embeddedspec match spec/; the CRD and deepcopy code match api/v1alpha1"

## check-spec: the committed spec equals a fresh extraction of the pinned snapshot (skipped when absent)
check-spec:
	@if [ -f "$(PINNED)/specification/DigitalOcean-public.v2.yaml" ]; then \
		$(GO) run ./internal/buildtools/specextract -upstream $(PINNED) -out spec/registry.yaml -overlay spec/overlay.yaml -check; \
	else \
		echo "check-spec: skipped: pinned upstream snapshot $(PINNED) is not present (normal on a user's clone)"; \
	fi

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

lint: fmt-check vet staticcheck

# KUBEASSETS prints the folder holding kube-apiserver and etcd, building them
# first if this machine has not yet (see make kubeassets).
KUBEASSETS  := bash internal/testsupport/kubeassets/build.sh

## kubeassets: build kube-apiserver and etcd for docr-controller's envtest tests into ~/.cache/docr-testtools/kubeassets, once per machine (10-20 minutes of CPU the first time, then instant)
kubeassets:
	@$(KUBEASSETS) >/dev/null

# The envtest tests fail (rather than skip) without the binaries here.
test-race: kubeassets
	KUBEBUILDER_ASSETS="$$($(KUBEASSETS))" DOCR_REQUIRE_ENVTEST=1 $(GO) test -race -timeout 30m ./...

## compat: godo, a client docr did not write, against the fake API (separate module)
compat:
	cd compat && $(GO) vet ./... && $(STATICCHECK) ./... && $(GO) test -race ./...

## kubeletcompat: the kubelet credential provider through the kubelet's own code (k8s.io/kubernetes) and API types (separate module)
# Without -race: the provider runs as its own process, and the in-process
# code is raced in test-race; a race build would compile the ~1,400
# packages of k8s.io/kubernetes a second time (about 440 CPU-seconds cold).
kubeletcompat:
	cd kubeletcompat && $(GO) vet ./... && $(STATICCHECK) ./... && $(GO) test ./...

FAKEPROC := internal/testsupport/fakeapiprocess

## fakeapiprocess: a real docr fake-api process: the OCI conformance suite through DOCR's token flow, and the hostile-use soak (separate module, ~2 min)
fakeapiprocess:
	cd $(FAKEPROC) && $(GO) vet ./... && $(STATICCHECK) ./... && $(GO) test -count=1 -v -run '^(TestOCIConformance|TestSoak)$$' ./...

## ociconformance: the OCI distribution-spec conformance suite alone, against docr fake-api
ociconformance:
	cd $(FAKEPROC) && $(GO) test -count=1 -v -run '^TestOCIConformance$$' ./...

## soak: the hostile-use soak of docr fake-api alone (issue 22): RSS under --storage-cap 64MiB plus 96 MiB
soak:
	cd $(FAKEPROC) && $(GO) test -count=1 -v -run '^TestSoak$$' ./...

## bench-build: the benchmark modules compile and their assertions hold (no timing)
bench-build:
	cd bench && $(GO) vet ./... && $(STATICCHECK) ./... && $(GO) test -run 'Test' -bench '^$$' ./...
	cd bench/controller && $(GO) vet ./... && $(STATICCHECK) ./... && $(GO) test -run 'Test' -bench '^$$' ./...

## bench: the benchmarks against raw net/http, godo and docker/cli, then docr-controller's; writes BENCHMARKS.md (~35 min)
bench:
	cd bench && ./run.sh
	$(MAKE) bench-controller

## bench-controller: docr-controller's benchmarks on a real API server; writes their section of BENCHMARKS.md (~10 min)
bench-controller: kubeassets
	cd bench/controller && ./run.sh

## test: the whole suite: lint, race tests, generated-code and spec checks, godo compatibility
test: lint test-race check-generated check-spec test-bump compat kubeletcompat fakeapiprocess bench-build

## test-stress: go test -race ./... STRESS_N times (default 5) with every core busy; not in CI
test-stress: kubeassets
	KUBEBUILDER_ASSETS="$$(bash internal/testsupport/kubeassets/build.sh)" DOCR_REQUIRE_ENVTEST=1 GO=$(GO) bash internal/buildtools/scripts/stress.sh

FUZZTIME ?= 60s

## vuln: govulncheck against an offline database built from golang.org/x/vulndb
vuln:
	bash internal/buildtools/scripts/vulncheck.sh ./...

## fuzz-short: every fuzz target for a few seconds (CI)
fuzz-short:
	FUZZTIME=5s bash internal/buildtools/scripts/fuzz.sh

## fuzz: every fuzz target for FUZZTIME (default 60s): make fuzz FUZZTIME=5m
fuzz:
	FUZZTIME=$(FUZZTIME) bash internal/buildtools/scripts/fuzz.sh

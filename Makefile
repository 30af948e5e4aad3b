# docr — common tasks. Needs only Go (and git for check-generated).
# `make test` is the whole suite; CI runs it through .ci/run.

GO          ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The upstream checkout the committed spec was extracted from. Override with
# UPSTREAM=/path/to/digitalocean/openapi for make spec / make spec-diff.
PINNED      := ../shared/upstream/digitalocean-openapi-7c1300c4
UPSTREAM    ?= $(PINNED)

.PHONY: compat bench-build bench test-stress all generate spec spec-diff check-generated check-spec fmt-check vet staticcheck lint test test-race vuln fuzz fuzz-short

all: test

## generate: regenerate gen/ from spec/registry.yaml and spec/overlay.yaml
generate:
	$(GO) generate ./...

## spec: extract spec/registry.yaml from an upstream checkout, then regenerate
spec:
	$(GO) run ./internal/specextract -upstream $(UPSTREAM) -out spec/registry.yaml
	$(MAKE) generate

## spec-diff: show what a fresh extraction from UPSTREAM would change
spec-diff:
	$(GO) run ./internal/specextract -upstream $(UPSTREAM) -out spec/registry.yaml -diff

## check-generated: regenerate from spec/ and fail on any difference (needs no ../shared)
check-generated: generate
	@if [ -n "$$(git status --porcelain -- gen spec)" ]; then \
		echo "generated code is stale or edited by hand; run make generate and commit:"; \
		git status --porcelain -- gen spec; git --no-pager diff --stat -- gen spec; exit 1; \
	fi
	@echo "check-generated: gen/ matches spec/"

## check-spec: the committed spec equals a fresh extraction of the pinned snapshot (skipped when absent)
check-spec:
	@if [ -f "$(PINNED)/specification/DigitalOcean-public.v2.yaml" ]; then \
		$(GO) run ./internal/specextract -upstream $(PINNED) -out spec/registry.yaml -check; \
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

test-race:
	$(GO) test -race ./...

## compat: godo, a client docr did not write, against the fake API (separate module)
compat:
	cd compat && $(GO) vet ./... && $(STATICCHECK) ./... && $(GO) test -race ./...

## bench-build: the benchmark module compiles and its assertions hold (no timing)
bench-build:
	cd bench && $(GO) vet ./... && $(STATICCHECK) ./... && $(GO) test -run 'Test' -bench '^$$' ./...

## bench: the benchmarks against raw net/http, godo and docker/cli; writes BENCHMARKS.md (~10 min)
bench:
	cd bench && ./run.sh

## test: the whole suite: lint, race tests, generated-code and spec checks, godo compatibility
test: lint test-race check-generated check-spec compat bench-build

## test-stress: go test -race ./... STRESS_N times (default 5) with every core busy; not in CI
test-stress:
	GO=$(GO) bash internal/tools/stress.sh

FUZZTIME ?= 60s

## vuln: govulncheck against an offline database built from golang.org/x/vulndb
vuln:
	bash internal/tools/vulncheck.sh ./...

## fuzz-short: every fuzz target for a few seconds (CI)
fuzz-short:
	FUZZTIME=5s bash internal/tools/fuzz.sh

## fuzz: every fuzz target for FUZZTIME (default 60s): make fuzz FUZZTIME=5m
fuzz:
	FUZZTIME=$(FUZZTIME) bash internal/tools/fuzz.sh

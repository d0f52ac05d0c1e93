# zkd: build, run, test, lint and package. README.md says what each is for;
# docs/testing.md describes the test layers.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

# Go lives in /usr/local/go on these machines; a go already on PATH wins.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

# Go tools this Makefile installs go into ./.bin (gitignored), pinned.
TOOLS := $(CURDIR)/.bin
# staticcheck 2026.2.2 (module v0.8.2) builds with Go 1.26.
STATICCHECK_VERSION := v0.8.2
# nfpm after v2.45 needs modules the Go module proxy here refuses.
NFPM_VERSION := v2.44.0

VERSION ?= 0.1.0
FUZZTIME ?= 10s
LONG_FUZZTIME ?= 2m
TEST_TIMEOUT ?= 8m
FAULTS_TIMEOUT ?= 60m

.PHONY: build run deps test faults lint fuzz package clean

## build: every command in cmd/ into ./bin
build:
	@mkdir -p bin
	$(GO) build -o bin/ ./cmd/...

## run: zkd standalone on conf/zoo.cfg (client port 2181, data in ./data)
run: build
	./bin/zkd conf/zoo.cfg

## deps: the Debian packages the tests need (apt only when one is missing)
deps:
	scripts/deps.sh

## test: deps, go vet, race-checked core tests, the other tests, a short fuzz
test: deps
	GO=$(GO) TEST_TIMEOUT=$(TEST_TIMEOUT) FUZZTIME=$(FUZZTIME) scripts/test.sh

## faults: the long fault schedule of test/ensemble (ZKD_FAULTS=long), zkd and Apache (about 10 min)
faults: deps
	ZKD_FAULTS=long $(GO) test -count=1 -v -timeout $(FAULTS_TIMEOUT) $(TESTFLAGS) ./test/ensemble/

## lint: gofmt, go vet, staticcheck (all three run; any finding fails)
lint: $(TOOLS)/.staticcheck-$(STATICCHECK_VERSION)
	@rc=0; \
	files=$$(find . -name '*.go' -not -path './.*' -not -path '*/testdata/*'); \
	bad=$$(gofmt -l $$files); \
	if [ -n "$$bad" ]; then echo "gofmt would change:"; echo "$$bad"; rc=1; fi; \
	echo "go vet ./..."; $(GO) vet ./... || rc=1; \
	echo "staticcheck ./..."; $(TOOLS)/staticcheck ./... || rc=1; \
	exit $$rc

## fuzz: every Fuzz target for LONG_FUZZTIME each
fuzz:
	GO=$(GO) scripts/fuzz.sh $(LONG_FUZZTIME)

## package: zkd .deb and .rpm into ./dist (not part of test)
package: build $(TOOLS)/.nfpm-$(NFPM_VERSION)
	scripts/deps.sh --with-packaging
	@mkdir -p dist
	VERSION=$(VERSION) $(TOOLS)/nfpm package --config nfpm.yaml --packager deb --target dist/
	VERSION=$(VERSION) $(TOOLS)/nfpm package --config nfpm.yaml --packager rpm --target dist/
	dpkg-deb -c dist/zkd_$(VERSION)-1_amd64.deb
	rpm -qpl dist/zkd-$(VERSION)-1.x86_64.rpm

## clean: build outputs (keeps ./data and ./.bin)
clean:
	rm -rf bin dist

# Tool installs: a stamp per pinned version, so changing a version
# reinstalls and an unchanged one costs nothing.
$(TOOLS)/.staticcheck-$(STATICCHECK_VERSION):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@touch $@

$(TOOLS)/.nfpm-$(NFPM_VERSION):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)
	@touch $@

.PHONY: bench gobench
## bench: zkd vs Apache ZooKeeper 3.8 here, ratios table into bench/results.md (BENCH_QUICK=1: ~5 min)
bench:
	GO=$(GO) scripts/bench.sh

# The hot paths' Go benchmarks: codec, tree apply and reads, WAL append,
# snapshots, the peer transport. BENCHTIME=1x runs each once (a smoke run).
BENCHTIME ?= 1s
GOBENCH_PKGS := ./zkd/proto ./zkd/tree ./zkd/storage/wal ./zkd/storage/snap ./zkd/quorum/transport
## gobench: the Go benchmarks of the hot paths, with allocations (BENCHTIME=1s)
gobench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(GOBENCH_PKGS)

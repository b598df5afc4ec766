# The two commands a new user needs: `make run` and `make test` (see README.md).

GO          ?= go
BIN         := bin
BENCH_COUNT ?= 5
BENCH_PKGS  ?= ./node/...
FUZZTIME    ?= 60s

# Fyne cannot parse the bare "C" locale and logs an error at every start.
ifneq ($(filter-out C POSIX C.UTF-8 C.utf8,$(or $(LANG),C)),)
else
export LANG := en_US.UTF-8
endif

# no_emoji leaves Fyne's colour emoji font out: the screens show no emoji, and Fyne
# parses that 4 MB font once per text style it draws, about 18 MB of heap for nothing
# (docs/benchmarks.md). An emoji in text still draws with a system font that has it.
TAGS := -tags no_emoji

# Fyne with the idle main loop of packaging/fyne (README.md there): -modfile names a
# go.mod that replaces Fyne by a copy in bin/fyne with idle-loop.patch applied, and
# -ldflags=-X stamps the binary so that `daoli --version` says the loop is idle.
# Prepared on first use (and once per make run: the first use sets FYNE to the
# script's answer); a patch that no longer applies stops the build.
FYNE = $(eval FYNE := $(or $(shell GO=$(GO) packaging/fyne/prepare.sh),$(error packaging/fyne/prepare.sh failed)))$(FYNE)

# -buildvcs=auto stamps the git revision into the binary (daoli --version shows it)
# whenever the source is a checkout, even where GOFLAGS turns stamping off.
BUILD_FLAGS = -buildvcs=auto $(TAGS) $(FYNE)

.PHONY: all build run test soak sim cross vet-other bench bench-batch bench-scale bench-peers lint fmt-check fuzz deps test-deps jobs interp screenshots screenshots-first-minutes bench-app fyne-check release package clean

all: build

deps:
	@packaging/build-deps.sh build

test-deps:
	@packaging/build-deps.sh test

build: deps
	$(GO) build $(BUILD_FLAGS) -o $(BIN)/daoli .

## run: build the desktop app and start it (ARGS="..." passes flags)
run: build
	./$(BIN)/daoli $(ARGS)

## test: vet, formatting, and every test with the race detector (after make interp,
## whose Ruby interpreter the compute and app tests run)
# -timeout 30m: from a fresh clone, packaging/ compiles the app and the trustee for
# release (no build shares their flags), and runs make cross's build (packaging/cross.sh)
# for its tests under Wine, while other packages test beside it; CI's budget is 30 min.
test: test-deps interp
	$(GO) vet $(FYNE) ./...
	@$(MAKE) --no-print-directory fmt-check
	@$(MAKE) --no-print-directory vet-other
	$(GO) test $(FYNE) -race -timeout 30m $$($(GO) list ./... | grep -v '/daoli/app$$')
	@# The app's end-to-end tests run real processes against epochs of about a
	@# second; beside the other packages' tests on two cores they starve.
	$(GO) test $(FYNE) -race -timeout 20m ./app
	@# The Ruby interpreter's tests, in a plain build: in a race-detector build its
	@# worker takes over ten minutes to load the 30 MB module (docs/compute.md).
	$(GO) test $(FYNE) -timeout 30m -run '^TestInterpreter' ./node/compute ./app

## soak: the nemesis (docs/reliability.md) for 30 minutes: 7 trustees and 6 light nodes
## in network namespaces, skewed clocks, three seeds of 10 minutes of faults each; as root.
## SOAK_SEEDS and SOAK_DURATION change them; the runs' histories go to bin/soak.
SOAK_SEEDS    ?= 1,2,3
SOAK_DURATION ?= 10m
soak: test-deps
	$(GO) run ./node/cmd/daoli-nemesis --trustees 7 --lights 6 --seed $(SOAK_SEEDS) --duration $(SOAK_DURATION) --skew --dir $(BIN)/soak

## vet-other: vet every package but the desktop app's for macOS (Intel and Apple silicon)
## and Windows, without cgo
# The app (., app, packaging/screenshots) opens a GLFW window, which needs cgo and the
# target's SDK; ui uses Fyne's widgets, which call into Objective-C through cgo on
# macOS. make cross compiles the Windows app with cgo; the macOS app is built on a Mac
# (packaging/README.md). The nemesis (node/devnet/nemesis) runs in Linux's network
# namespaces only, and packaging's tests build and install Linux packages.
VET_OTHER_SKIP := -e '/daoli$$' -e '/daoli/app$$' -e '/daoli/ui$$' -e '/packaging/screenshots$$' \
	-e '/devnet/nemesis$$' -e '/cmd/daoli-nemesis$$' -e '/daoli/packaging$$'
vet-other:
	@set -e; for t in darwin/amd64 darwin/arm64 windows/amd64; do \
	  echo "go vet GOOS=$${t%/*} GOARCH=$${t#*/} CGO_ENABLED=0"; \
	  GOOS=$${t%/*} GOARCH=$${t#*/} CGO_ENABLED=0 $(GO) vet $$(GOOS=$${t%/*} $(GO) list -e ./... | grep -v $(VET_OTHER_SKIP)); \
	done

## fyne-check: Fyne's own tests of its GLFW driver against the patched copy, under Xvfb
# (packaging/fyne/check.sh says which tests it leaves out or runs again, and why)
fyne-check: test-deps
	@GO=$(GO) packaging/fyne/check.sh

## release: reproducible release binaries (-trimpath, commit stamped) and SHA256SUMS in bin/release
release: deps
	@GO=$(GO) packaging/release.sh $(BIN)/release

## cross: daoli.exe (the app, with its GUI) and daoli-trustee.exe for Windows, and the
## macOS trustees, with SHA256SUMS, in bin/cross (packaging/README.md)
cross:
	@packaging/build-deps.sh cross
	@GO=$(GO) packaging/cross.sh $(BIN)/cross

## package: the Linux tarball (fyne package) and the daoli and daoli-trustee .deb packages in bin/package
package:
	@packaging/build-deps.sh package
	@GO=$(GO) packaging/package.sh $(BIN)/package

## jobs: build the example job modules (assets/jobs) for WASI and refresh their manifest
jobs:
	@GO=$(GO) packaging/build-jobs.sh

## interp: fetch the Ruby interpreter (npm's @ruby/3.4-wasm-wasi, pinned by sha256) and
## make it a WASI command in bin/interp/ruby.wasm, which tests and benchmarks run as a job
interp:
	@GO=$(GO) packaging/interp/fetch.sh

## screenshots: draw every screen of the app, on a fresh demo network, into docs/screenshots
screenshots: deps
	$(GO) run $(TAGS) $(FYNE) ./packaging/screenshots --out docs/screenshots

## screenshots-first-minutes: the dashboard's sharing line waiting, sharing now and paused, drawn by the real app under Xvfb
screenshots-first-minutes: build
	packaging/screenshots/first-minutes.sh $(BIN)/daoli docs/screenshots

## sim: the full I-BFT simulation, 1,000 seeds for each of n = 4, 7 and 10
sim:
	$(GO) test -run '^TestSimulation$$' -ibft.seeds=1000 -timeout 2h -v ./node/ibft/

fmt-check:
	@bad=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*')); \
	if [ -n "$$bad" ]; then echo "gofmt needed on:"; echo "$$bad"; exit 1; fi

## bench: the benchmarks, BENCH_COUNT runs each (compare medians with benchstat)
# -p 1: one package at a time, so that no two packages measure on the same cores at once.
# node/devnet/peers is left out: it runs other benchmarks itself, once (make bench-peers).
bench: deps interp
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) $$($(GO) list $(BENCH_PKGS) | grep -v '/devnet/peers$$')

## bench-batch: a batch of 100 tasks with real processes (4 trustees, 3 providers of 3
## slots, 1 buyer), every task paid and its results gathered; its wall time per task
bench-batch: test-deps
	$(GO) test $(FYNE) -run '^$$' -bench 'BatchEndToEnd' -benchtime 1x -timeout 40m ./app

## bench-scale: the load harness (docs/scale.md): 4 and 16 daoli-trustee processes
## against 100, 300 and 1,000 light nodes, one size at a time; SCALE_BENCH picks sizes
SCALE_BENCH ?= Scale/
bench-scale:
	$(GO) test -run '^$$' -bench '$(SCALE_BENCH)' -benchtime 1x -timeout 3h -v ./node/devnet/scale

## bench-peers: the peers beside Daoli in one run (docs/benchmarks.md, "Peers beside us"):
## CometBFT v1.0.1 (built from the Go module proxy into bin/peers), four validators on
## loopback under a load generator, against Daoli's own benchmarks of four trustees; the
## example WebAssembly modules natively, in Node.js's WASI and in Daoli's worker. Needs
## node, clang and rustc (make jobs installs the last two); PEERS_COUNT, PEERS_RATES and
## PEERS_JOBS narrow it (node/devnet/peers/bench_test.go)
bench-peers:
	$(GO) test -run '^$$' -bench 'Peers' -benchtime 1x -timeout 2h -v ./node/devnet/peers

## bench-app: the desktop app's launch time, idle CPU and memory (needs Xvfb), built
## as make build builds it; each figure is the median of the runs
bench-app: test-deps
	$(GO) test $(TAGS) $(FYNE) -run '^$$' -bench 'App' -benchtime 3x ./app

## lint: vet, formatting and a tidy go.mod
lint: deps
	$(GO) vet $(FYNE) ./...
	@$(MAKE) --no-print-directory fmt-check
	$(GO) mod tidy -diff

## fuzz: run every fuzz target of the node for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./node/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf $(BIN)

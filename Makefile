# The two commands a newcomer runs: `make report` and `make test`.
GO      ?= go
BIN     := bin/repro
PROFILE ?= default

.PHONY: all build build-cloud cloudtest report quick test fuzz bench lint clean crate-validator katex-update s3test

all: report

# The go command's -v lists each package as it compiles it; GOPROGRESS turns
# that list into a line at most every 10 seconds ("compiled 120 packages,
# 65 s"), and passes every other line (errors, "go: downloading ...")
# through. GOHEARTBEAT ticks every 10 seconds, so that a package that takes
# long to compile (57 s seen on a loaded 2-core machine), or the link, does
# not leave the build silent either: no silence reaches 30 s. A shell loop,
# not awk: some awks read a pipe in blocks. Measured with an empty GOCACHE
# and a full module cache: 150 s user + 47 s system CPU; 12.6 min (go
# build) and 17.5 min (make build) wall on 2 cores at a load of 20 to 30.
GOHEARTBEAT = (i=0; while sleep 1; do i=$$((i + 1)); [ $$((i % 10)) -eq 0 ] && echo "\# tick"; done) &
GOPROGRESS = n=0; t0=$$(date +%s); last=$$t0; \
	while IFS= read -r l; do \
		now=$$(date +%s); \
		case "$$l" in \
		"\# tick") [ $$((now - last)) -ge 15 ] && echo "  compiled $$n packages, $$((now - t0)) s (still building)" && last=$$now ;; \
		*[\ :\#]* | "") printf '%s\n' "$$l" ;; \
		*) n=$$((n + 1)); \
			if [ $$((now - last)) -ge 10 ]; then echo "  compiled $$n packages, $$((now - t0)) s"; last=$$now; fi ;; \
		esac; \
	done

build:
	@echo "building $(BIN): a first build compiles about 450 packages (200 s of CPU: about 2 min on 2 idle cores, up to 18 min on 2 busy ones); then seconds"
	@rc=$$(mktemp); \
	{ $(GOHEARTBEAT) hb=$$!; $(GO) build -v -o $(BIN) ./cmd/repro 2>&1; echo $$? >"$$rc"; kill $$hb; } | { $(GOPROGRESS); }; \
	s=$$(cat "$$rc"); rm -f "$$rc"; exit $$s

# The same binary with gs:// and azblob:// remote stores (gocloud.dev and the
# Google Cloud and Azure SDKs: minutes more to download and compile, twice
# the size). file:// and s3:// are in every build. Build tags are part of
# every cache key: machines that share a store use the same build.
build-cloud:
	$(GO) build -tags cloud -o $(BIN) ./cmd/repro

# The cloud build compiles, passes vet and its remote tests (CI).
cloudtest:
	$(GO) vet -tags cloud ./remote ./cmd/repro
	$(GO) test -tags cloud -count=1 -timeout $(TEST_TIMEOUT) ./remote

# The community validator of RO-Crates (npm's ro-crate, pinned by
# package.json and package-lock.json), for CI's check of `repro publish`.
# Nothing else needs npm: the report's KaTeX is committed (third_party/katex).
CRATE_VALIDATOR := node_modules/ro-crate/package.json
crate-validator: $(CRATE_VALIDATOR)
$(CRATE_VALIDATOR): package.json package-lock.json
	@echo "installing the RO-Crate validator from npm (package-lock.json)"
	@out=$$(npm ci --no-audit --no-fund --loglevel=error 2>&1) || { echo "$$out" >&2; exit 1; }; \
	touch $(CRATE_VALIDATOR)

# Replace the committed KaTeX (third_party/katex) by another version from the
# npm registry: `npm pack` checks the tarball against the registry's
# integrity hash. Then run `make locks`: the report stage reads these files.
KATEX_VERSION ?= 0.19.1
katex-update:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent katex@$(KATEX_VERSION) >/dev/null && tar -xzf katex-$(KATEX_VERSION).tgz) && \
	rm -rf third_party/katex/fonts third_party/katex/katex.min.js third_party/katex/katex.min.css && \
	mkdir -p third_party/katex/fonts && \
	cp "$$tmp"/package/dist/katex.min.js "$$tmp"/package/dist/katex.min.css third_party/katex/ && \
	cp "$$tmp"/package/dist/fonts/*.woff2 third_party/katex/fonts/ && \
	cp "$$tmp"/package/LICENSE third_party/katex/LICENSE && \
	sed -i '1s/.*/# KaTeX $(KATEX_VERSION)/; s/katex@[0-9][0-9.]*/katex@$(KATEX_VERSION)/' third_party/katex/README.md && \
	echo "third_party/katex: KaTeX $(KATEX_VERSION); now run make locks"

# Regenerate the whole report; prints the path of the HTML file.
report: build
	./$(BIN) run --profile $(PROFILE)

# A live preview of the report: re-renders on save (README, "Live preview").
.PHONY: serve
serve: build
	./$(BIN) serve --profile $(PROFILE)

# The quick profile: the same DAG with tiny grids.
quick: build
	./$(BIN) run --profile quick

# Regenerate both committed locks (repro.quick.lock, repro.lock) after a
# change of code, parameters, data or toolchain: CI's `status --check`
# fails until they match. Cached stages cost nothing; a cold default run is
# the long part (see README).
.PHONY: locks
locks: build
	./$(BIN) run --profile quick -q
	./$(BIN) run -q

# Every go test gets an explicit time limit with headroom: go test's default
# of 10 minutes per package failed cmd/repro on a loaded 2-core machine
# (issue 28). cmd/repro needs about 5.5 minutes on an idle machine and took
# 23.5 minutes at load 12-15 (2026-12-07); no other package needs 2.
TEST_TIMEOUT ?= 60m

# go vet and go test print nothing for minutes on a fresh machine (vet
# compiles first; go test prints each package's result in package order,
# so cmd/repro's several minutes hold back every later package): a line
# every TEST_TICK seconds says they are still running.
TEST_TICK ?= 20
TICKRUN = tick() { t0=$$(date +%s); i=0; while sleep 1; do i=$$((i + 1)); \
		[ $$((i % $(TEST_TICK))) -eq 0 ] && echo "  $$1: still running, $$(( $$(date +%s) - t0 )) s"; done; }; \
	run() { what=$$1; shift; echo "$$*"; tick "$$what" & hb=$$!; "$$@"; s=$$?; kill $$hb; wait $$hb 2>/dev/null; return $$s; }
#
# The fuzz targets' short runs go on beside go test, which leaves part of a
# core idle for most of cmd/repro's minutes: each prints one line when it
# passes, and its whole output if it fails.
test: build
	@$(TICKRUN); \
	run "go vet" $(GO) vet ./... || exit 1; \
	fz=$$(mktemp -d); \
	( for t in $(FUZZ_TARGETS); do \
		t0=$$(date +%s); \
		if $(GO) test -timeout $(TEST_TIMEOUT) $${t%%:*} -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) > $$fz/out 2>&1; then \
			echo "  fuzz $${t#*:}: $(FUZZTIME) inputs, passed in $$(( $$(date +%s) - t0 )) s"; \
		else cat $$fz/out; echo "  fuzz $${t#*:}: FAILED"; exit 1; fi; \
	done ) & fp=$$!; \
	echo "fuzzing $(words $(FUZZ_TARGETS)) targets beside go test ($(FUZZTIME) inputs each; make fuzz runs them alone)"; \
	run "go test (cmd/repro takes minutes; results print in package order)" $(GO) test -timeout $(TEST_TIMEOUT) ./...; ts=$$?; \
	wait $$fp; fs=$$?; rm -rf $$fz; \
	[ $$fs -eq 0 ] || echo "make test: a fuzz target failed (above)"; \
	[ $$ts -eq 0 ] && [ $$fs -eq 0 ]

# A short run of each fuzz target (the seed corpora also run in go test).
# A count of executions, not a duration: a time limit can end while a
# worker is still running an input, which go test reports as a failure
# ("context deadline exceeded"), seen on a loaded 2-core machine.
FUZZTIME ?= 20000x
FUZZ_TARGETS = ./data:FuzzReadDigitsCSV ./data:FuzzReadNPY ./data:FuzzReadNPZ ./data:FuzzReadGeoTIFF ./data:FuzzReadMNIST ./data:FuzzLoadGrid ./config:FuzzParseYAML ./config:FuzzParseValue ./pipeline:FuzzParseRunEntry ./pipeline:FuzzParseLock ./pipeline:FuzzParseRemoteRecord ./pipeline:FuzzParsePublicKey ./pipeline:FuzzParseMetricRule ./report:FuzzTextAndCode ./report:FuzzIndexFold ./serve:FuzzServeHost ./project:FuzzEscape
fuzz:
	@$(TICKRUN); \
	for t in $(FUZZ_TARGETS); do \
		run "fuzz $${t#*:} (compiling it first)" $(GO) test -timeout $(TEST_TIMEOUT) $${t%%:*} -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) || exit 1; \
	done

# The long reliability tests, outside `make test`: SIGKILL at about 60 moments
# of quick runs and of store writes, and rounds of four concurrent runs on
# one store with one of them killed (several minutes).
.PHONY: stress
stress:
	RELIABILITY_STRESS=1 $(GO) test ./cmd/repro -run '^(TestCrashSafetySIGKILL|TestConcurrentRuns)$$' -count=1 -timeout 60m -v
	RELIABILITY_STRESS=1 $(GO) test ./pipeline -run '^TestPutSurvivesSIGKILL$$' -count=1 -timeout 60m -v

# The scale-out tests against a real S3-compatible server on loopback:
# SeaweedFS (`weed server -s3`), built once from the Go module proxy into
# WEED_DIR and reused by later runs. If it cannot be built, the S3 tests skip
# and say why.
WEED_VERSION ?= v0.0.0-20261109003541-7506e5f91cd6
WEED_DIR     ?= $(HOME)/.cache/repro-test/bin
WEED         := $(WEED_DIR)/weed-$(WEED_VERSION)
s3test:
	@if [ ! -x "$(WEED)" ]; then \
		echo "s3test: building SeaweedFS $(WEED_VERSION) into $(WEED_DIR) (once; a few minutes)"; \
		mkdir -p "$(WEED_DIR)" && \
		src="$$($(GO) mod download -json github.com/seaweedfs/seaweedfs@$(WEED_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p')" && \
		[ -n "$$src" ] && (cd "$$src" && GOFLAGS=-buildvcs=false $(GO) build -o "$(WEED).tmp" ./weed) && \
		mv "$(WEED).tmp" "$(WEED)" || echo "s3test: could not build SeaweedFS: the S3 tests will skip"; \
	fi
	S3TEST_WEED="$(WEED)" $(GO) test ./cmd/repro -run 'S3' -count=1 -timeout $(TEST_TIMEOUT) -v

# deploy/slurm/submit.sh (the README's Slurm example) on a real one-node
# Slurm on loopback, started and stopped by the test, against one process:
# the same lock and report. As root it installs Debian's slurm-wlm and munge
# if missing; otherwise it skips with one line. See deploy/slurm/slurmtest.sh
# (SLURMTEST_PROFILE, default quick; SLURMTEST_SHARDS, SLURMTEST_CPUS).
.PHONY: slurmtest
slurmtest: build
	deploy/slurm/slurmtest.sh

# The benchmarks, then the PyTorch peer of BenchmarkTerrainEpoch in the
# same shell (docs/benchmarks.md); bench-terrain runs just that pair, back to
# back. The peer needs Debian's python3-torch for /usr/bin/python3 and is
# skipped, with one line, without it.
PYTHON ?= /usr/bin/python3
TERRAIN_PEER = if $(PYTHON) -c 'import torch' >/dev/null 2>&1; then \
		$(PYTHON) bench/terrain_peers.py --threads 1; \
	else \
		echo "bench: no PyTorch for $(PYTHON) (apt-get install python3-torch): the peer is skipped"; \
	fi
.PHONY: bench-terrain
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout $(TEST_TIMEOUT) ./models ./pipeline ./report ./cmd/repro
	@$(TERRAIN_PEER)
bench-terrain:
	uptime
	$(GO) test -run '^$$' -bench '^BenchmarkTerrainEpoch$$' -benchtime 2s -count 3 -timeout $(TEST_TIMEOUT) ./models
	@$(TERRAIN_PEER)
	uptime

# actionlint checks every GitHub Actions workflow (syntax, expressions,
# matrix and needs references); run at a pinned version with `go run`, it
# stays out of go.mod and the build.
ACTIONLINT_VERSION ?= v1.7.12
# gofmt, go vet, a tidy go.mod, staticcheck, actionlint, and a build for macOS
# and Windows (the tests run on Linux); the linters run
# at pinned versions through go run, so nothing is installed by hand.
STATICCHECK_VERSION ?= v0.8.2
lint:
	gofmt -l . | tee /dev/stderr | (! read -r _)
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	# The code builds for macOS and Windows too (the tests run on Linux).
	GOOS=darwin GOARCH=arm64 $(GO) build ./...
	GOOS=windows GOARCH=amd64 $(GO) build ./...

clean:
	rm -rf bin

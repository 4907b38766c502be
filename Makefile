# The two commands a newcomer runs: `make report` and `make test`.
GO      ?= go
BIN     := bin/repro
PROFILE ?= default
KATEX   := node_modules/katex/dist/katex.min.js

.PHONY: all build report quick test fuzz bench lint clean katex

all: report

build:
	$(GO) build -o $(BIN) ./cmd/repro

# KaTeX renders the report's mathematics; it comes from npm, pinned by
# package.json and package-lock.json. Without npm the report still builds and
# shows the TeX source (with one warning).
katex: $(KATEX)
$(KATEX): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $(KATEX); \
	else \
		echo "warning: npm not found: the report will show TeX source instead of rendered mathematics"; \
	fi

# Regenerate the whole report; prints the path of the HTML file.
report: build katex
	./$(BIN) run --profile $(PROFILE)

# The quick profile: the same DAG with tiny grids.
quick: build katex
	./$(BIN) run --profile quick

test: build katex
	$(GO) vet ./...
	$(GO) test ./...
	$(MAKE) fuzz

# A few seconds of each fuzz target (the seed corpora also run in go test).
FUZZTIME ?= 3s
fuzz:
	$(GO) test ./data -run '^$$' -fuzz '^FuzzReadDigitsCSV$$' -fuzztime $(FUZZTIME)
	$(GO) test ./data -run '^$$' -fuzz '^FuzzReadNPY$$' -fuzztime $(FUZZTIME)
	$(GO) test ./data -run '^$$' -fuzz '^FuzzReadNPZ$$' -fuzztime $(FUZZTIME)
	$(GO) test ./data -run '^$$' -fuzz '^FuzzReadGeoTIFF$$' -fuzztime $(FUZZTIME)
	$(GO) test ./config -run '^$$' -fuzz '^FuzzParseYAML$$' -fuzztime $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./models ./pipeline ./cmd/repro

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	$(GO) vet ./...

clean:
	rm -rf bin

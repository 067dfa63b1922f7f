# One-line targets; see README.md.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
FUZZTIME ?= 30s
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
ACTIONLINT  := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

.PHONY: build test lint demo bench fuzz docs dist clean

build: ; CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o bin/omdeploy ./cmd/omdeploy
test: ; scripts/with-moto.sh go test -race -count=1 ./...
lint: ; test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }; go vet ./... && go run $(STATICCHECK) ./... && go run $(ACTIONLINT) .github/workflows/*.yml && scripts/check-deps.sh
demo: ; go run ./cmd/omdeploy demo
bench: ; scripts/bench.sh
fuzz: ; scripts/fuzz.sh $(FUZZTIME)
docs: ; go run ./cmd/omdeploy runbook --markdown > docs/RUNBOOK.md
dist: ; scripts/dist.sh $(VERSION) $(COMMIT) $(DATE)
clean: ; rm -rf bin dist

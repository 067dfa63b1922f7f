# One-line targets; see README.md.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
# urfave/cli's ToMan and ToMarkdown (and the markdown parser they link,
# whose tables are built at start-up) are unused: every release build drops
# them (the same tag in scripts/dist.sh, scripts/action/build.sh, .goreleaser.yaml).
BUILDTAGS := urfave_cli_no_docs
FUZZTIME ?= 30s
# The action's step scripts and the others; skipped, saying so, without shellcheck.
SHELLCHECK := if command -v shellcheck >/dev/null; then shellcheck scripts/*.sh scripts/action/*.sh .ci/run; else echo "lint: shellcheck is not installed: shell scripts not checked"; fi
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
ACTIONLINT  := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
# The newest goreleaser that builds with our Go (release.yml runs make release).
# Building it takes minutes, so it is built once into GORELEASER_BIN.
GORELEASER_VERSION := v2.15.1
GORELEASER_BIN     := $(HOME)/.cache/omdeploy-tools/goreleaser-$(GORELEASER_VERSION)/goreleaser

.PHONY: build test lint demo bench fuzz docs dist release-check release print-goreleaser clean

build: ; CGO_ENABLED=0 go build -trimpath -tags $(BUILDTAGS) -ldflags '$(LDFLAGS)' -o bin/omdeploy ./cmd/omdeploy
test: ; scripts/with-moto.sh go test -race -count=1 ./...
lint: ; test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }; go vet ./... && go run $(STATICCHECK) ./... && go run $(ACTIONLINT) .github/workflows/*.yml && $(SHELLCHECK) && scripts/check-deps.sh
demo: ; go run ./cmd/omdeploy demo
bench: ; scripts/bench.sh
fuzz: ; scripts/fuzz.sh $(FUZZTIME)
docs: ; go run ./cmd/omdeploy runbook --markdown > docs/RUNBOOK.md
dist: ; scripts/dist.sh $(VERSION) $(COMMIT) $(DATE)
release-check: $(GORELEASER_BIN) ; $(GORELEASER_BIN) check
release: $(GORELEASER_BIN) ; $(GORELEASER_BIN) release --clean
print-goreleaser: ; @echo $(GORELEASER_BIN)
$(GORELEASER_BIN): ; GOBIN=$(@D) go install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
clean: ; rm -rf bin dist

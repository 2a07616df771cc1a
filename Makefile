# frogbridge — build, test, package and run the suite.
#
#   make demo   run the main job on the local stack (no cloud account needed)
#   make test   run every test (unit, contract, end to end, fuzz seeds)

SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
PKG := github.com/frogbridge/frogbridge
LDFLAGS := -s -w -X $(PKG)/internal/buildinfo.Version=$(VERSION) -X $(PKG)/internal/buildinfo.Commit=$(COMMIT)
GOBUILD := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)"
AZURITE_VERSION := 3.37.0
AZURITE := .tools/node_modules/.bin/azurite-blob
ONNXRUNTIME_NODE_VERSION := 1.30.0
ONNXRUNTIME := .tools/node_modules/onnxruntime-node/package.json
TEST_FLAGS ?= -race -timeout 15m
# The handler's AUTH_MODE the package is for: keys, entra or both.
AUTH_MODE ?= keys

.PHONY: all build package tools test test-short fuzz bench demo vet fmt lint clean deploy

all: build

build:
	@mkdir -p bin
	$(GOBUILD) -o bin/handler ./handler
	$(GOBUILD) -o bin/trainer ./trainer
	$(GOBUILD) -o bin/devstack ./devstack

# The function app as the Functions host scans it: host.json, one folder per
# function and the handler binary (linux/amd64, static, mode 0755).
# AUTH_MODE=entra or both writes anonymous HTTP functions: the handler then
# checks every caller (make package AUTH_MODE=entra).
package:
	@mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/handler-linux-amd64 ./handler
	$(GOBUILD) -o bin/devstack ./devstack
	bin/devstack package --src . --handler dist/handler-linux-amd64 --out dist/functionapp --zip dist/functionapp.zip --auth-mode $(AUTH_MODE)

# Azurite (the Azure Storage emulator) and onnxruntime-node (the ONNX
# runtime the tests score model.onnx with) from npm, into a project folder.
# onnxruntime-node ships its CPU binaries in the package; its install step
# would fetch GPU binaries from elsewhere, which ONNXRUNTIME_NODE_INSTALL=skip
# turns off.
tools: $(AZURITE) $(ONNXRUNTIME)
$(AZURITE):
	@command -v npm >/dev/null || { echo "npm is needed for Azurite: apt-get install -y nodejs npm"; exit 1; }
	npm install --no-audit --no-fund --loglevel=error --prefix .tools azurite@$(AZURITE_VERSION)
$(ONNXRUNTIME):
	@command -v npm >/dev/null || { echo "npm is needed for onnxruntime-node: apt-get install -y nodejs npm"; exit 1; }
	ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error --prefix .tools onnxruntime-node@$(ONNXRUNTIME_NODE_VERSION)

test: tools build
	$(GO) vet ./...
	FROGBRIDGE_BIN_DIR=$(CURDIR)/bin $(GO) test $(TEST_FLAGS) ./...

test-short:
	$(GO) test -short ./...

# Run every fuzz target for FUZZTIME each (make fuzz FUZZTIME=1m).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench: build
	bash bench/run.sh

demo: tools build package
	bin/devstack demo --app dist/functionapp --data .devstack

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

lint:
	bash terraform/lint.sh

deploy: package
	bash deploy/deploy.sh

clean:
	rm -rf bin dist .devstack

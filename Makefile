# getcd: build, check and test both modules (the library at the root and the
# integration module in integration/). POSIX make; run `make ci` for what CI runs.

GO ?= go
GOFMT ?= gofmt
# The integration tests start real etcd servers and build an etcd binary once;
# the race detector makes both slow on a 2-core machine.
TEST_TIMEOUT ?= 30m
TESTFLAGS ?= -race -count=1
# The integration packages whose tests share one etcd for the whole run (or
# use the cluster in ETCD_ENDPOINTS) run twice in one process (the later
# -count wins), so that a test that trips on keys an earlier run left fails.
SHARED_PKGS = ./kvtest ./stmtest ./admintest ./locktest
SHARED_COUNT = -count=2
# Pinned, fetched through the module proxy by go run: a dependency of no module.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: ci vet fmt-check staticcheck test test-root test-integration test-examples quickstart

ci: vet fmt-check staticcheck test

vet:
	$(GO) vet ./...
	cd integration && $(GO) vet ./...
	cd examples && $(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...
	cd integration && $(STATICCHECK) ./...
	cd examples && $(STATICCHECK) ./...

# gofmt -l lists every badly formatted .go file below the root, the
# integration module included; any listed file fails the target.
fmt-check:
	@out="$$($(GOFMT) -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt -l found unformatted files:"; echo "$$out"; exit 1; fi

test: test-root test-integration test-examples

test-root:
	$(GO) test $(TESTFLAGS) -timeout $(TEST_TIMEOUT) ./...

# Every package but the shared ones once, then the shared ones.
test-integration:
	cd integration && $(GO) test $(TESTFLAGS) -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -vxF "$$($(GO) list $(SHARED_PKGS))")
	cd integration && $(GO) test $(TESTFLAGS) $(SHARED_COUNT) -timeout $(TEST_TIMEOUT) $(SHARED_PKGS)

test-examples:
	cd examples && $(GO) test $(TESTFLAGS) -timeout $(TEST_TIMEOUT) ./...

# The tour: starts an embedded etcd unless ETCD_ENDPOINTS is set.
quickstart:
	$(GO) run ./examples/quickstart

# getcd: build, check and test both modules (the library at the root and the
# integration module in integration/). POSIX make; run `make ci` for what CI runs.

GO ?= go
GOFMT ?= gofmt
# The integration tests start real etcd servers and build an etcd binary once;
# the race detector makes both slow on a 2-core machine.
TEST_TIMEOUT ?= 30m
TESTFLAGS ?= -race -count=1

.PHONY: ci vet fmt-check test test-root test-integration test-examples quickstart

ci: vet fmt-check test

vet:
	$(GO) vet ./...
	cd integration && $(GO) vet ./...
	cd examples && $(GO) vet ./...

# gofmt -l lists every badly formatted .go file below the root, the
# integration module included; any listed file fails the target.
fmt-check:
	@out="$$($(GOFMT) -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt -l found unformatted files:"; echo "$$out"; exit 1; fi

test: test-root test-integration test-examples

test-root:
	$(GO) test $(TESTFLAGS) -timeout $(TEST_TIMEOUT) ./...

test-integration:
	cd integration && $(GO) test $(TESTFLAGS) -timeout $(TEST_TIMEOUT) ./...

test-examples:
	cd examples && $(GO) test $(TESTFLAGS) -timeout $(TEST_TIMEOUT) ./...

# The tour: starts an embedded etcd unless ETCD_ENDPOINTS is set.
quickstart:
	$(GO) run ./examples/quickstart

# Parley — see README.md. `make run` and `make test` are all a newcomer needs.

GO        ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w"

.PHONY: run test test-later check-tools vet fmt-check bench fuzz verify build lambda clean

# LATER is how far test-later moves the clock: 400 days and 7 hours, so the
# second pass runs on another date, weekday, season and hour of the day.
LATER ?= 34585200

## run: the whole product locally (embedded store and queue, sandbox gateway)
## on 127.0.0.1:8080, or on ADDR with its data in DATA (make run ADDR=127.0.0.1:9090 DATA=/tmp/parley)
run: build
	./bin/parley serve $(if $(ADDR),--addr $(ADDR)) $(if $(DATA),--data $(DATA))

## test: everything a change must pass (needs moto_server and cfn-lint on PATH)
test: check-tools fmt-check vet
	$(GO) test -count=1 -timeout 9m ./...
	$(MAKE) --no-print-directory test-later

## test-later: the whole suite again with every test process's wall clock
## LATER seconds ahead, so a test that depends on the day or the hour it runs
## at fails the day it is written rather than on some later date
test-later:
	$(GO) test -count=1 -timeout 9m -overlay "$$(tools/shiftclock.sh $(LATER))" ./...

check-tools:
	@command -v moto_server >/dev/null || { echo "moto_server is missing: the AWS adapters are tested against it. Install Python moto 5 in server mode (python3 -m pip install 'moto[server]>=5,<6')." >&2; exit 1; }
	@command -v cfn-lint >/dev/null || { echo "cfn-lint is missing: template.yaml is linted with it (python3 -m pip install cfn-lint)." >&2; exit 1; }

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt wants to rewrite:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## bench: benchmarks, including the 10,000-recipient end-to-end local run
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./...

## fuzz: a short run of every fuzz target
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 15s $$pkg || exit 1; \
	  done; \
	done

## verify: the long checks make test only samples: Next against a
## minute-by-minute reference around every offset change of every tz zone
## from 2026 to 2030 (internal/window TestNextSweep, some minutes), and the
## dispatcher fault injection on DynamoDB (moto_server, a minute a run), and
## the cost ratchet: the AWS cost per recipient to DELIVERED at 600 and 6,000
## recipients within its budget and not growing with the run (some minutes)
verify:
	PARLEY_SWEEP=1 $(GO) test -count=1 -timeout 60m -run '^TestNextSweep$$' ./internal/window
	PARLEY_DYNAMO_CRASH=1 $(GO) test -count=3 -timeout 30m -run '^TestKilledDispatchersOnDynamoDB$$' ./internal/dispatch
	PARLEY_COST=1 $(GO) test -count=1 -timeout 30m -run '^TestCostBudget$$' ./internal/awstest/awscost

## build: the parley CLI into bin/
build:
	$(GO) build -o bin/parley ./cmd/parley

## lambda: each function as a linux/arm64 bootstrap, as SAM builds it, with sizes
lambda:
	@for fn in $(FUNCTIONS); do \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o build/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done
	@ls -l build/*/bootstrap

clean:
	rm -rf bin build .parley

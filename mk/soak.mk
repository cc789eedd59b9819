# make soak (issue 8): the daemon under listener churn, queue fills and
# control-socket abuse for DURATION (s, min or h; default 10min), with RSS,
# fds, poll timing and alerts recorded; fails on growth, a fill without its
# journal entry, or a late poll. Never part of `make check`. Needs root.
# Included from the Makefile after everything it uses is defined.
#
#   make soak DURATION=60s
#   make soak DURATION=30min SOAK_ARGS="--listeners 2000"
#
# The figures go to $(BUILD)/soak/ (samples.tsv, summary.txt).

DURATION  ?= 10min
SOAK_ARGS ?=

# swabuse (tests/soak/swabuse.c) is built like a test tool: the integration
# tests 8x-*.sh use it too.
SOAK_TOOLS := $(BUILD)/tests/soak/swabuse

tests: $(SOAK_TOOLS)

.PHONY: soak
soak: deps
	@$(MAKE) --no-print-directory tests
	BUILD=$(BUILD) ./tests/soak/run.sh --duration $(DURATION) $(SOAK_ARGS)

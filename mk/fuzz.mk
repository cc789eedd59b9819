# libFuzzer targets (tests/fuzz/README.md); included at the end of the
# Makefile.
#
#   make fuzz                     build every target, run each FUZZ_SECONDS
#   make -j2 fuzz                 ... two at a time
#   make fuzz-run-netstat         one target
#   make fuzz-build               build only
#   make fuzz-seeds               regenerate the crafted seeds in the corpus
#   make fuzz-merge               add the inputs a run found that reach new
#                                 code to tests/fuzz/corpus/ (minimised)
#
# The targets are compiled from source with clang into $(BUILD)/fuzz/, never
# linked with the gcc objects: libFuzzer needs clang's coverage
# instrumentation in the code it explores. A run grows its working corpus in
# $(BUILD)/fuzz/corpus/NAME, reads tests/fuzz/corpus/NAME (seeds and
# regression inputs, never written by a run) and leaves any crash in
# $(BUILD)/fuzz/artifacts/NAME/.

# clang and its sanitizer/libFuzzer runtimes (libclang_rt.fuzzer-x86_64.a)
# are DEB_FUZZ in the Makefile: libclang-rt-N-dev, N looked up per release.

FUZZ_CC      ?= clang
FUZZ_CFLAGS  ?= -O1 -g
FUZZ_SECONDS ?= 60
# Extra libFuzzer flags, e.g. FUZZ_ARGS='-jobs=2 -workers=2'.
FUZZ_ARGS    ?=

FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer
# Warnings as for the daemon but never -Werror: clang may warn where gcc does
# not, in files this fragment does not own.
FUZZ_WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
                -Wstrict-prototypes -Wno-unused-parameter
FUZZ_PKGS    := libnl-3.0 json-c libcap-ng
FUZZ_ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -DSW_VERSION='"$(VERSION)"' \
                  -DSW_SYSCONFDIR='"$(SYSCONFDIR)"' -MMD -MP $(FUZZ_WARN) $(FUZZ_SAN) \
                  $(shell $(PKG_CONFIG) --cflags $(FUZZ_PKGS) 2>/dev/null) $(FUZZ_CFLAGS) \
                  -iquote src -iquote tests/fuzz
FUZZ_LIBS     = $(shell $(PKG_CONFIG) --libs $(FUZZ_PKGS) 2>/dev/null) -lm

# The modules whose parsers meet outside input, and what they call. A new
# target that needs another module adds it here.
FUZZ_MODULES := diag_parse snapshot usnap util addr grow kernel netstat sysctl text config config_parse \
                config_key config_value filter protocol privsep helper helper_ns nsdisc procsrc procfs caps \
                metrics tracker tracker_step lindex history alert queue_limits rules event
FUZZ_MOD_OBJS := $(FUZZ_MODULES:%=$(FUZZ_DIR)/src/%.o)

FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_BINS  := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_OBJS  := $(FUZZ_SRCS:%.c=$(FUZZ_DIR)/%.o)

# Largest input per target; libFuzzer's default (4096) is below a real
# /proc/net/netstat (~5 KiB) and a multi-part dump. Parts of a sock_diag
# dump are 32 KiB (tests/fuzz/fuzz_diag.h); requests end at 4096 bytes, so
# a little more tests the limit.
FUZZ_MAX_LEN_diag_listeners    := 65536
FUZZ_MAX_LEN_diag_synrecv      := 131072
FUZZ_MAX_LEN_udiag_parse       := 65536
FUZZ_MAX_LEN_netstat           := 16384
FUZZ_MAX_LEN_config            := 16384
FUZZ_MAX_LEN_protocol_request  := 8192
FUZZ_MAX_LEN_sysctl            := 64
FUZZ_MAX_LEN_endpoint          := 128
FUZZ_MAX_LEN_helper_request    := 64
FUZZ_MAX_LEN_helper_reply      := 33000
FUZZ_MAX_LEN_DEFAULT           := 4096
fuzz_max_len = $(or $(FUZZ_MAX_LEN_$(1)),$(FUZZ_MAX_LEN_DEFAULT))

# -error_exitcode: libFuzzer's default, 77, would read as "skipped" to
# tests/run-tests.sh. -timeout: an input that takes 10 s is a hang.
FUZZ_RUN_FLAGS = -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
                 -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
                 -max_len=$(call fuzz_max_len,$(1)) \
                 -artifact_prefix=$(FUZZ_DIR)/artifacts/$(1)/ $(FUZZ_ARGS)
# Stacks need llvm-symbolizer (package llvm-14, which clang pulls in).
FUZZ_SYMBOLIZER := $(firstword $(wildcard /usr/bin/llvm-symbolizer /usr/lib/llvm-14/bin/llvm-symbolizer))
FUZZ_ENV = $(if $(FUZZ_SYMBOLIZER),ASAN_SYMBOLIZER_PATH=$(FUZZ_SYMBOLIZER)) \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: fuzz fuzz-build fuzz-seeds fuzz-merge $(FUZZ_NAMES:%=fuzz-run-%) \
        $(FUZZ_NAMES:%=fuzz-merge-%)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_NAMES:%=fuzz-run-%)

$(FUZZ_NAMES:%=fuzz-run-%): fuzz-run-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts/$* tests/fuzz/corpus/$*
	@echo "=== fuzz $* for $(FUZZ_SECONDS)s"
	$(FUZZ_ENV) $< $(call FUZZ_RUN_FLAGS,$*) $(FUZZ_DIR)/corpus/$* tests/fuzz/corpus/$*

$(FUZZ_MOD_OBJS) $(FUZZ_OBJS): $(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/libsw-fuzz.a: $(FUZZ_MOD_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_BINS): $(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libsw-fuzz.a
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^ $(FUZZ_LIBS)

# The crafted seeds (netlink dumps, request lines, sysctl and endpoint
# texts) come from gen_seeds.c; the text seeds are the test suite's own
# files, copied so that the corpus stands alone.
$(FUZZ_DIR)/gen_seeds: tests/fuzz/gen_seeds.c tests/fuzz/fuzz_diag.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O1 -iquote src -iquote tests/fuzz -o $@ $<

# The unix_diag seeds have their own generator (the UNIX twin of the
# inet dumps above).
$(FUZZ_DIR)/gen_udiag_seeds: tests/fuzz/gen_udiag_seeds.c tests/fuzz/fuzz_diag.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O1 -iquote src -iquote tests/fuzz -o $@ $<

fuzz-seeds: $(FUZZ_DIR)/gen_seeds $(FUZZ_DIR)/gen_udiag_seeds
	$(FUZZ_DIR)/gen_seeds tests/fuzz/corpus
	$(FUZZ_DIR)/gen_udiag_seeds tests/fuzz/corpus
	mkdir -p tests/fuzz/corpus/netstat tests/fuzz/corpus/config
	cp tests/data/netstat/*.txt tests/fuzz/corpus/netstat/
	for f in tests/golden/config/*.conf; do cp $$f tests/fuzz/corpus/config/golden-$${f##*/}; done
	cp conf/sockwatchd.conf tests/fuzz/corpus/config/sockwatchd.conf

fuzz-merge: $(FUZZ_NAMES:%=fuzz-merge-%)

$(FUZZ_NAMES:%=fuzz-merge-%): fuzz-merge-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$* tests/fuzz/corpus/$*
	$(FUZZ_ENV) $< -merge=1 -max_len=$(call fuzz_max_len,$*) \
		tests/fuzz/corpus/$* $(FUZZ_DIR)/corpus/$*

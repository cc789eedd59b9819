# sockwatchd: plain GNU Makefile. See README.md for the two commands that
# matter (make run, make check) and docs/architecture.md for the layout.

VERSION     := 0.1.0
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
DATADIR     ?= $(PREFIX)/share
DOCDIR      ?= $(DATADIR)/doc/sockwatchd
UNITDIR     ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
CATALOGDIR  ?= $(shell pkg-config --variable=catalogdir systemd 2>/dev/null || echo /usr/lib/systemd/catalog)
SYSUSERSDIR ?= $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null || echo /usr/lib/sysusers.d)
TMPFILESDIR ?= $(shell pkg-config --variable=tmpfilesdir systemd 2>/dev/null || echo /usr/lib/tmpfiles.d)
DESTDIR     ?=

# Each helper session or parallel build may use its own tree: make BUILD=build-x
BUILD       ?= build
CC          ?= cc
CFLAGS      ?= -O2 -g
PKG_CONFIG  ?= pkg-config

# Debian packages, in three sets (tools/deps.sh installs the missing ones;
# a name starting with @ is looked up for this release, never pinned):
#  - to build and run the daemon (`make run`);
DEB_BUILD := gcc make pkg-config libnl-3-dev libsystemd-dev libjson-c-dev libcap-ng-dev \
             libmicrohttpd-dev
#  - to run the tests (`make check`): the kernel's own tools to compare
#    with, a private journald, the real programs the tests drive;
DEB_TEST  := check iproute2 nftables systemd procps jq bc strace mandoc man-db \
             @nginx php-fpm valgrind prometheus prometheus-node-exporter curl yq
#  - to build and run the fuzz targets (mk/fuzz.mk; 70-fuzz-smoke in `make check`);
DEB_FUZZ  := clang @clang-rt
#  - to build the Debian package (`make deb`: debian/control's Build-Depends
#    beyond DEB_BUILD) and lint it (lintian; 69-deb-package in `make check`).
DEB_PKG   := debhelper dpkg-dev check lintian

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
        -Wstrict-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

PKGS_D   := libnl-3.0 libsystemd json-c libcap-ng libmicrohttpd
PKGS_CTL := json-c
PKG_CF   = $(shell $(PKG_CONFIG) --cflags $(PKGS_D) check 2>/dev/null)
LIBS_D   = $(shell $(PKG_CONFIG) --libs $(PKGS_D) 2>/dev/null)
LIBS_CTL = $(shell $(PKG_CONFIG) --libs $(PKGS_CTL) 2>/dev/null)
LIBS_CHK = $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

SW_CFLAGS := -std=gnu11 -D_GNU_SOURCE -DSW_VERSION='"$(VERSION)"' \
             -DSW_SYSCONFDIR='"$(SYSCONFDIR)"' -MMD -MP $(WARN) $(SAN)
ALL_CFLAGS = $(SW_CFLAGS) $(PKG_CF) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

# Every src/*.c except the two mains is a module linked into the daemon and
# into the unit tests; sockwatchctl takes only what CTL_MODULES lists.
MAINS       := src/sockwatchd.c src/sockwatchctl.c
MODULES     := $(filter-out $(MAINS),$(sort $(wildcard src/*.c)))
CTL_MODULES := $(filter $(addprefix src/,protocol.c render.c util.c addr.c text.c jsonget.c check.c show.c advice.c order.c config_value.c ctlclient.c),$(MODULES))
MOD_OBJS    := $(MODULES:%.c=$(BUILD)/%.o)
CTL_OBJS    := $(CTL_MODULES:%.c=$(BUILD)/%.o)

UNIT_SRCS   := $(sort $(wildcard tests/check_*.c))
UNIT_BINS   := $(UNIT_SRCS:tests/%.c=$(BUILD)/tests/%)
TOOL_SRCS   := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS   := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%)
BENCH_SRCS  := $(sort $(wildcard bench/*.c))
BENCH_BINS  := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

DAEMON := $(BUILD)/sockwatchd
CTL    := $(BUILD)/sockwatchctl
PROGS  := $(DAEMON) $(if $(wildcard src/sockwatchctl.c),$(CTL))

.PHONY: all deps deps-build deps-test deps-fuzz deps-deb deb run check unit integration tests clean install uninstall bench bench-netns bench-unix bench-metrics
all: $(PROGS)

$(BUILD)/libsw.a: $(MOD_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(DAEMON): $(BUILD)/src/sockwatchd.o $(BUILD)/libsw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_D) -lm

$(CTL): $(BUILD)/src/sockwatchctl.o $(CTL_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_CTL) -lm

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -iquote src -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libsw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_CHK) $(LIBS_D) -lm

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libsw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_D) -lm

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libsw.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_D) -lm

tests: $(PROGS) $(UNIT_BINS) $(TOOL_BINS)

deps-build:
	@./tools/deps.sh $(DEB_BUILD)

deps-test:
	@./tools/deps.sh $(DEB_TEST)

deps-fuzz:
	@./tools/deps.sh $(DEB_FUZZ)

deps-deb:
	@./tools/deps.sh $(DEB_BUILD) $(DEB_PKG)

# Everything `make check` needs.
deps:
	@./tools/deps.sh $(DEB_BUILD) $(DEB_TEST) $(DEB_FUZZ) $(DEB_PKG)

# `make run`: the daemon in the foreground against this host's sockets.
run: deps-build
	@$(MAKE) --no-print-directory all
	$(DAEMON) --config conf/sockwatchd.conf --control-socket $(abspath $(BUILD))/control $(RUN_ARGS)

# `make check`: every unit test, then every integration test (root; with
# CI=true a missing privilege or tool is a failure, never a skip).
check: deps
	@$(MAKE) --no-print-directory tests
	BUILD=$(BUILD) ./tests/run-tests.sh $(UNIT_BINS) $(sort $(wildcard tests/integration/*.sh))

unit: tests
	BUILD=$(BUILD) ./tests/run-tests.sh $(UNIT_BINS)

integration: tests
	BUILD=$(BUILD) ./tests/run-tests.sh $(sort $(wildcard tests/integration/*.sh))

bench: deps
	@$(MAKE) --no-print-directory tests $(BENCH_BINS)
	BUILD=$(BUILD) ./bench/run.sh $(BENCH_ARGS)

# Issue 13's benchmark, every network namespace (bench/README.md); root,
# about 4 min, never part of `make check`.
bench-netns: deps
	@$(MAKE) --no-print-directory $(PROGS) $(BENCH_BINS)
	BUILD=$(BUILD) ./bench/netns.sh $(BENCH_ARGS)

# Issue 14's benchmark: the UNIX listener dump and the listener poll with
# and without 10k UNIX listeners beside 10k TCP ones (bench/README.md);
# root, about 10 s, never part of `make check`.
bench-unix: deps
	@$(MAKE) --no-print-directory $(BUILD)/bench/udump
	$(BUILD)/bench/udump 10000 21

# Issue 15's benchmark: a scrape of the real daemon's metrics endpoint at
# 10k listeners: bytes, CPU (building the body after a poll, and reusing
# it) against the listener poll's, wall, peak RSS during 10 concurrent
# scrapes (bench/scrape.c); root, never part of `make check`.
# BENCH_ARGS="--listeners N --rounds R ..." (bench/scrape --help).
bench-metrics: deps
	@$(MAKE) --no-print-directory $(PROGS) $(BUILD)/bench/scrape
	$(BUILD)/bench/scrape $(BENCH_ARGS)

# `make deb`: the Debian package (debian/), built by dpkg-buildpackage from a
# copy of the sources (the files git tracks, as they are in the work tree;
# without git, everything but the build trees) in $(BUILD)/deb/src, so
# that no earlier build leaks in and the .deb, .buildinfo and .changes it
# writes to the parent directory land in $(BUILD)/deb. This make's
# variables (BUILD=, WERROR=, SANITIZE=, passed on in MAKEFLAGS and the
# environment) stay out of the package's build: debian/rules sets its own.
DEB_OUT := $(BUILD)/deb
deb: deps-deb
	rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)/src
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z | xargs -0 sh -c \
			'for f; do if [ -e "$$f" ] || [ -L "$$f" ]; then printf "%s\0" "$$f"; fi; done' sh; \
	else \
		find . -path './build*' -prune -o -path ./.git -prune -o ! -type d -print0; \
	fi | tar --null -T - -cf - | tar -C $(DEB_OUT)/src -xf -
	cd $(DEB_OUT)/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u WERROR -u SANITIZE \
		-u DESTDIR dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_OUT)/src
	@ls -l $(DEB_OUT)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

include mk/install.mk
include mk/fuzz.mk
include mk/soak.mk

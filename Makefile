# Build, test and run the LFS server and its tools.  Everything lands in
# build/; the sources never see an object file.  `make` and `make install`
# only build: missing Debian packages stop them with the names to install.
# `make deps`, and `make run`, `make test`, `make bench`, `make fuzz`
# (developer commands), install what is missing (scripts/deps.sh).

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
# Where `make install` puts the rest (each under $(DESTDIR)); systemd reads
# units, sysusers.d and tmpfiles.d under /usr/local/lib as under /usr/lib.
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DOCDIR ?= $(PREFIX)/share/doc/lfs-server
LOGROTATEDIR ?= /etc/logrotate.d
# A logrotate snippet, when the tree has one.
LOGROTATE = $(firstword $(wildcard contrib/logrotate/lfs-server dist/logrotate/lfs-server))

CC ?= cc
PKGS = libmicrohttpd jansson libcrypto libgit2 sqlite3 libcurl libxcrypt
# Recursive (=) on purpose: pkg-config runs only once the deps step has
# made sure the packages are there.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lpthread
# libsystemd (sd_notify) goes into lfs-server alone, through notify.c: the
# tools and the libraries they share never need it.
SYSTEMD_CFLAGS = $(shell pkg-config --cflags libsystemd)
SYSTEMD_LIBS = $(shell pkg-config --libs libsystemd)
# libpq (the postgresql metadata backend, meta/postgresql.c) goes into the
# server's programs, never into lfs-hooks.
PQ_CFLAGS = $(shell pkg-config --cflags libpq)
PQ_LIBS = $(shell pkg-config --libs libpq)

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wvla -Wno-unused-parameter
# Warnings are errors for developers (`make test` and CI), never for a
# user whose newer compiler knows a warning ours does not.
ifneq ($(filter test,$(MAKECMDGOALS)),)
DEVELOPER ?= 1
endif
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
CFLAGS ?= -O2 -g
# CPPFLAGS, CFLAGS and LDFLAGS are the user's (dpkg-buildflags' hardening
# flags arrive through them).
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) -Icommon -Ilfs-server -Igit-hooks $(PKG_CFLAGS) -MMD -MP
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g $(SAN) -Icommon -Ilfs-server -Igit-hooks $(PKG_CFLAGS) -MMD -MP

COMMON_SRC = $(wildcard common/*.c)
# lfs-server/ (docs/architecture.md has the map): core/, store/ and meta/
# are the library all four programs link; server/, mirror/, admin/ and
# authenticate/ hold what only lfs-server, lfs-mirror, lfs-admin and
# git-lfs-authenticate use; bin/ holds their thin mains.
CORE_SRC = $(wildcard lfs-server/core/*.c lfs-server/store/*.c lfs-server/meta/*.c)
DAEMON_SRC = $(filter-out lfs-server/server/notify.c,$(wildcard lfs-server/server/*.c))
MIRROR_SRC = $(wildcard lfs-server/mirror/*.c)
ADMIN_SRC = $(wildcard lfs-server/admin/*.c)
AUTHENTICATE_SRC = $(wildcard lfs-server/authenticate/*.c)
SERVER_SRC = $(CORE_SRC) $(DAEMON_SRC) $(MIRROR_SRC) $(ADMIN_SRC) $(AUTHENTICATE_SRC)
HOOKS_SRC = $(wildcard git-hooks/*.c)
# lfs-cgi has a link of its own (the `cgi` target below).
SERVER_BINS = $(filter-out build/bin/lfs-cgi,$(patsubst lfs-server/bin/%.c,build/bin/%,$(wildcard lfs-server/bin/*.c)))
HOOKS_BINS = $(patsubst git-hooks/bin/%.c,build/bin/%,$(wildcard git-hooks/bin/*.c))
BINS = $(SERVER_BINS) $(HOOKS_BINS)
UNIT_TESTS = $(patsubst tests/unit/%.c,build/tests/unit/%.t,$(filter-out tests/unit/tap.c,$(wildcard tests/unit/*.c)))

obj = $(patsubst %.c,build/obj/%.o,$(1))
sanobj = $(patsubst %.c,build/san/%.o,$(1))

.SECONDARY:
.PHONY: all deps test-deps run test unit integration bench install clean fuzz help cgi
all: $(BINS)

help:
	@echo "make run      build and start the server on 127.0.0.1:8080 (data in ./lfs-data;"
	@echo "              LISTEN=HOST:PORT and LFS_DATA=DIR choose others)"
	@echo "make test     build and run every test (unit + integration)"
	@echo "make bench    run the benchmarks, write docs/benchmarks.md (SCALE=1: also 20k/200k objects)"
	@echo "make cgi      build build/bin/lfs-cgi, the portable CGI program (static but for glibc)"
	@echo "make install  install binaries, man pages, the systemd unit and an example config"
	@echo "              under \$$DESTDIR\$$PREFIX (PREFIX=$(PREFIX))"

# Developer goals install what is missing; a plain build only checks.
DEPS_CHECK = $(if $(filter run test unit integration bench fuzz deps,$(MAKECMDGOALS)),,--check)
build/.deps-build:
	@scripts/deps.sh $(DEPS_CHECK) build
	@mkdir -p build && touch $@
build/.deps-test: build/.deps-build
	@scripts/deps.sh $(DEPS_CHECK) test
	@touch $@
deps:
	@scripts/deps.sh build
	@scripts/deps.sh test
	@mkdir -p build && touch build/.deps-build build/.deps-test

build/obj/%.o: %.c | build/.deps-build
	@mkdir -p $(dir $@)
	@echo CC $<
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<
build/san/%.o: %.c | build/.deps-build
	@mkdir -p $(dir $@)
	@echo CC-SAN $<
	@$(CC) $(SAN_CFLAGS) -c -o $@ $<

SERVER_LIBS = core daemon mirror admin authenticate
build/lib/libcommon.a: $(call obj,$(COMMON_SRC))
build/lib/libcore.a: $(call obj,$(CORE_SRC))
build/lib/libdaemon.a: $(call obj,$(DAEMON_SRC))
build/lib/libmirror.a: $(call obj,$(MIRROR_SRC))
build/lib/libadmin.a: $(call obj,$(ADMIN_SRC))
build/lib/libauthenticate.a: $(call obj,$(AUTHENTICATE_SRC))
build/lib/libhooks.a: $(call obj,$(HOOKS_SRC))
build/lib/san-libcommon.a: $(call sanobj,$(COMMON_SRC))
build/lib/san-libcore.a: $(call sanobj,$(CORE_SRC))
build/lib/san-libdaemon.a: $(call sanobj,$(DAEMON_SRC))
build/lib/san-libmirror.a: $(call sanobj,$(MIRROR_SRC))
build/lib/san-libadmin.a: $(call sanobj,$(ADMIN_SRC))
build/lib/san-libauthenticate.a: $(call sanobj,$(AUTHENTICATE_SRC))
build/lib/san-libhooks.a: $(call sanobj,$(HOOKS_SRC))
build/lib/%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	@ar rcs $@ $^

# Each program links its own library, then the core: a main that reached
# into another program's folder would fail to link.
PROGRAM_LIBS_lfs-server = build/lib/libdaemon.a
PROGRAM_LIBS_lfs-mirror = build/lib/libmirror.a
PROGRAM_LIBS_lfs-admin = build/lib/libadmin.a
PROGRAM_LIBS_git-lfs-authenticate = build/lib/libauthenticate.a
.SECONDEXPANSION:
$(SERVER_BINS): build/bin/%: build/obj/lfs-server/bin/%.o $$(PROGRAM_LIBS_$$*) build/lib/libcore.a build/lib/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(PKG_LIBS) $(PQ_LIBS) $(BIN_LIBS)
build/bin/lfs-server: build/obj/lfs-server/server/notify.o
build/bin/lfs-server: BIN_LIBS = $(SYSTEMD_LIBS)
build/obj/lfs-server/server/notify.o: ALL_CFLAGS += $(SYSTEMD_CFLAGS)
build/obj/lfs-server/meta/postgresql.o: ALL_CFLAGS += $(PQ_CFLAGS)
build/san/lfs-server/meta/postgresql.o: SAN_CFLAGS += $(PQ_CFLAGS)
build/san/tests/unit/meta_pg.o: SAN_CFLAGS += $(PQ_CFLAGS)
$(HOOKS_BINS): build/bin/%: build/obj/git-hooks/bin/%.o build/lib/libhooks.a build/lib/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# lfs-cgi: the endpoint code of server/ over cgi/'s http.h (no
# libmicrohttpd, no libcurl), linked statically against everything but
# glibc so that it runs on a web host of another distribution
# (docs/architecture.md, "CGI mode").  cgi/mirrors.o replaces
# core/mirrors.c (which needs libcurl), and cgi/backends.o the backends
# that need libcurl or libpq: they come before libcore.a, so the
# archive's objects are never pulled in.
CGI_SRC = $(wildcard lfs-server/cgi/*.c)
ENDPOINT_SRC = $(addprefix lfs-server/server/,handlers.c transfer.c locks.c feed.c access.c \
	metrics.c status.c http_common.c)
CGI_PKGS = jansson libcrypto libgit2 sqlite3 libxcrypt
CGI_LIBS = -Wl,-Bstatic $(shell pkg-config --static --libs-only-l $(CGI_PKGS) | sed 's/-l\(dl\|m\|rt\|pthread\)\b//g') \
	-Wl,-Bdynamic -lpthread -ldl -lm -lrt
build/bin/lfs-cgi: build/obj/lfs-server/bin/lfs-cgi.o $(call obj,$(CGI_SRC) $(ENDPOINT_SRC)) build/lib/libcore.a build/lib/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(CGI_LIBS)
cgi: build/bin/lfs-cgi

# Unit tests link the sanitized libraries, so every pure module runs under
# ASan and UBSan.
build/tests/unit/%.t: build/san/tests/unit/%.o build/san/tests/unit/tap.o $(patsubst %,build/lib/san-lib%.a,$(filter-out core,$(SERVER_LIBS)) core) build/lib/san-libhooks.a build/lib/san-libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS) $(PQ_LIBS)

unit: $(UNIT_TESTS)
	prove build/tests/unit/

# Integration scripts spend most of their time waiting on fsync, git and
# process start-up, so three at once fit two cores; each uses its own
# ports and trash directory.
PROVE_JOBS ?= 3
# Slowest scripts first (timings kept in build/, not in a tracked .prove).
PROVE_FLAGS = --timer -j$(PROVE_JOBS) --state=slow,save --statefile=build/.prove

integration: $(BINS) build/bin/lfs-cgi build/.deps-test
	tests/services/with.sh prove $(PROVE_FLAGS) tests/integration/t[0-9]*.sh
# t9050 runs the sigv4 unit test binary as its driver (sigv4.t --driver).
integration: build/tests/unit/sigv4.t

# Services several tests share (S3, PostgreSQL) start once around the run.
test: $(BINS) build/bin/lfs-cgi $(UNIT_TESTS) build/.deps-test
	tests/services/with.sh prove $(PROVE_FLAGS) build/tests/unit/ tests/integration/t[0-9]*.sh

# `make run LISTEN=127.0.0.1:9000 LFS_DATA=/some/dir` picks another port or
# data directory.  The data directory is private (0700): it holds the
# signing key.
LISTEN ?= 127.0.0.1:8080
LFS_DATA ?= lfs-data
run: $(BINS)
	@mkdir -p -m 700 $(LFS_DATA)
	@echo "paste into your repository:  git config lfs.url http://$(LISTEN)/<owner>/<repo>.git/info/lfs"
	exec build/bin/lfs-server --listen $(LISTEN) --data $(LFS_DATA)

bench: $(BINS) build/bin/lfs-cgi build/.deps-test
	@scripts/deps.sh bench
	tests/bench/run.sh
	tests/bench/hooks.sh
	tests/bench/push.sh
	{ printf '\n## S3 store\n\nSame run: tests/bench/s3.sh against s3rver on loopback.\n\n'; \
	  tests/bench/s3.sh; } >>docs/benchmarks.md
	BENCH_OUT=$(CURDIR)/docs/benchmarks.md tests/bench/cgi.sh
	@if [ -n "$(SCALE)" ]; then tests/bench/scale.sh; fi

# Fuzzing needs clang's libFuzzer; not part of `make test`.  The target
# holds every parser, the client's (git-hooks/, not bin/) included, built
# with the project's warnings as errors.
FUZZ_SECONDS ?= 60
FUZZ_SRC = tests/fuzz/fuzz_parsers.c $(COMMON_SRC) $(SERVER_SRC) $(HOOKS_SRC)
build/fuzz/fuzz_parsers: $(FUZZ_SRC) $(wildcard common/*.h lfs-server/*/*.h git-hooks/*.h) | build/.deps-fuzz
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE $(WARN) -Werror -g -O1 -fsanitize=fuzzer,address,undefined \
		-Icommon -Ilfs-server -Igit-hooks $(PKG_CFLAGS) $(PQ_CFLAGS) -o $@ $(FUZZ_SRC) $(PKG_LIBS) $(PQ_LIBS)
build/.deps-fuzz: build/.deps-build
	@scripts/deps.sh fuzz
	@touch $@
fuzz: build/.deps-fuzz build/fuzz/fuzz_parsers
	@mkdir -p build/fuzz/corpus
	build/fuzz/fuzz_parsers -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus tests/fuzz/seeds

# The example config goes to DOCDIR: install never writes the live config.
# lfs-cgi is not installed: it is built (make cgi) to be copied to a web
# host, and `lfs-cgi install` puts it there; its page goes with it.
CGI_MAN = man/lfs-cgi.8
install: $(BINS)
	install -d $(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BINS) $(BINDIR)/
	install -m 0644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(filter-out $(CGI_MAN),$(wildcard man/*.8)) $(DESTDIR)$(MANDIR)/man8/
	sed 's|@BINDIR@|$(PREFIX)/bin|g' dist/systemd/lfs-server.service.in >$(DESTDIR)$(UNITDIR)/lfs-server.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/lfs-server.service
	install -m 0644 dist/systemd/lfs-server.sysusers $(DESTDIR)$(SYSUSERSDIR)/lfs-server.conf
	install -m 0644 dist/systemd/lfs-server.tmpfiles $(DESTDIR)$(TMPFILESDIR)/lfs-server.conf
	install -m 0644 dist/lfs-server.conf.example $(DESTDIR)$(DOCDIR)/
ifneq ($(LOGROTATE),)
	install -d $(DESTDIR)$(LOGROTATEDIR)
	test -e $(DESTDIR)$(LOGROTATEDIR)/lfs-server || install -m 0644 $(LOGROTATE) $(DESTDIR)$(LOGROTATEDIR)/lfs-server
endif

clean:
	rm -rf build

-include $(shell find build/obj build/san -name '*.d' 2>/dev/null)

# Debian packages lfs-server and lfs-hooks (debian/), built from a copy of
# the tree under $(DEB_OUT)/src so that dpkg-buildpackage, which writes
# beside the source, leaves the .debs in $(DEB_OUT).  The copy holds what
# git tracks plus untracked files it does not ignore (no build/, no
# lfs-data/).  `lintian $(DEB_OUT)/*.changes` checks the result.
DEB_OUT ?= build/deb
.PHONY: deb
deb:
	@scripts/deps.sh deb
	@v=$$(sed -n 's/^#define LFS_VERSION "\(.*\)"$$/\1/p' common/version.h); \
	c=$$(dpkg-parsechangelog -S Version); \
	[ "$$v" = "$$c" ] || { echo "make deb: debian/changelog is at $$c, common/version.h at $$v; add an entry: dch -v $$v" >&2; exit 1; }
	rm -rf '$(DEB_OUT)/src'
	rm -f '$(DEB_OUT)'/*.deb '$(DEB_OUT)'/*.changes '$(DEB_OUT)'/*.buildinfo
	mkdir -p '$(DEB_OUT)/src'
	git ls-files -z --cached --others --exclude-standard | \
		tar --null --files-from=- --ignore-failed-read -cf - | tar -xf - -C '$(DEB_OUT)/src'
	cd '$(DEB_OUT)/src' && dpkg-buildpackage -us -uc -b -Jauto
	@ls '$(DEB_OUT)'/*.deb

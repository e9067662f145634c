# Chatroom: build, run, test.
#   make          build the five FastCGI programs and chatctl into build/bin/
#   make run      install what is missing, build, start nginx + workers on PORT (8080)
#   make test     install what is missing, build, run unit tests, unit + API tests through an
#                 ASan+UBSan build, browser tests, 20 s of each fuzzer
#   make fuzz     each libFuzzer target (tests/fuzz/) for FUZZ_SECONDS (180)
#   make chaos    the kill test for 60 s (CHAOS_SECONDS) instead of make test's 15 s
#   make bench    build, start the stack on a scratch database, measure (QUICK=1: about a minute;
#                 PEERS=1: Fossil's chat measured beside it, Debian's fossil installed if missing)
#   make test SAN=1  only the sanitizer part: unit and API tests through build/san/
#   make clean    remove build output
#   make install / make uninstall  [PREFIX=/usr/local] [DESTDIR=] (README "Deploying")
# Debian 12 packages are installed by `make deps` (as root) when missing.

CXX ?= g++
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++17 -Wall -Wextra -Werror -I/usr/include/jsoncpp -MMD -MP
LDLIBS := -lfcgi -lcgicc -lsqlite3 -ljsoncpp -lscrypt -lsodium -licuuc -licudata

# SAN=1: everything built with AddressSanitizer + UndefinedBehaviorSanitizer
# into build/san/; any report (written to build/san/log/) fails `make test`.
B := build
ifeq ($(SAN),1)
B := build/san
CXXFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_LOG := $(abspath $(B)/log)
export CHAT_BIN := $(abspath $(B)/bin)
export ASAN_OPTIONS := log_path=$(SAN_LOG)/asan:detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS := log_path=$(SAN_LOG)/ubsan:print_stacktrace=1:halt_on_error=1
endif

PROGRAMS := auth rooms post poll search files
# files (uploads, issue 16) alone links libvips (Debian's libvips-dev): its
# image code is in cgi-bin/files/, not core/, so the other workers stay lean.
VIPS_CFLAGS := $(shell pkg-config --cflags vips 2>/dev/null)
VIPS_LIBS := $(shell pkg-config --libs vips 2>/dev/null)
FILES_OBJ := $(patsubst cgi-bin/files/%.cc,$(B)/obj/files/%.o,$(wildcard cgi-bin/files/*.cc))
# rooms' handlers, one file per concern (cgi-bin/rooms/handlers.h).
ROOMS_OBJ := $(patsubst cgi-bin/rooms/%.cc,$(B)/obj/rooms/%.o,$(wildcard cgi-bin/rooms/*.cc))
CORE_OBJ := $(patsubst cgi-bin/core/%.cc,$(B)/obj/core/%.o,$(wildcard cgi-bin/core/*.cc))
# sql/schema.sql and sql/migrations/*.sql compiled into every program (core/migrate.h).
CORE_OBJ += $(B)/obj/gen/sql_embed.o
BINS := $(PROGRAMS:%=$(B)/bin/%) $(B)/bin/chatctl
BENCH_BINS := $(B)/bin/bench_hello $(B)/bin/bench_seed $(B)/bin/bench_load $(B)/bin/bench_commits \
  $(B)/bin/bench_subscribe
CHATCTL_OBJ := $(patsubst cgi-bin/chatctl/%.cc,$(B)/obj/chatctl/%.o,$(wildcard cgi-bin/chatctl/*.cc))
UNIT_OBJ := $(patsubst tests/unit/%.cpp,$(B)/obj/unit/%.o,$(wildcard tests/unit/*_test.cpp))

DEB_PACKAGES := g++ make libfcgi-dev libcgicc-dev libsqlite3-dev sqlite3 libjsoncpp-dev \
  libscrypt-dev libsodium-dev nginx-light spawn-fcgi multiwatch libgtest-dev nodejs npm \
  chromium curl clang libclang-rt-14-dev clang-format
# Unicode rules (cgi-bin/core/text.h): what is blank, grapheme clusters,
# NFKC_Casefold for room-name keys. ICU's C++ API; -licuuc -licudata above.
DEB_PACKAGES += libicu-dev
# Push (README "Instant delivery"): nginx's nchan module; without it the pages poll.
DEB_PACKAGES += libnginx-mod-nchan
# Push shared by several nginx through Redis (tests/api/push-redis.test.mjs
# starts its own redis-server on loopback; the system's service is not used).
DEB_PACKAGES += redis-server
# For the deployment tests (tests/api/install.test.mjs): a real Apache with
# mod_proxy_fcgi, openssl for a throwaway certificate, systemd-analyze.
# Installing apache2 starts the system's apache2 on port 80 where services
# may start (not in containers with policy-rc.d); the tests never use it.
DEB_PACKAGES += apache2 openssl systemd
# make deb and its test (tests/api/deb.test.mjs): Debian's packaging tools.
DEB_PACKAGES += debhelper lintian
# Colour emoji for the browser tests' screenshots of reactions (people's own
# browsers bring their own emoji font).
DEB_PACKAGES += fonts-noto-color-emoji
# Files and images (cgi-bin/files/image.h): libvips decodes, checks, strips
# and thumbnails PNG, JPEG, GIF and WebP; libvips-tools' `vips` command makes
# the API tests' images at test time (tests/api/files.test.mjs).
DEB_PACKAGES += libvips-dev libvips-tools

.PHONY: vendor format-check all run test test-san test-unit test-api test-browser bench deps npm-deps clean format chaos fuzz fuzz-build test-fuzz

# The pages' third-party files (README "The pages", vendored libraries):
# copied byte for byte from the npm packages pinned in package-lock.json
# (npm ci) into htdocs/vendor/ with their licences; no CDN, so the CSP
# stays 'self'. Named .js (they are ES modules) so that any web server's
# stock MIME table serves them as JavaScript, which module scripts require.
# htdocs/vendor/ is build output (.gitignore); `all`, `run` and `install` make it.
VENDOR := htdocs/vendor/markdown-it.esm.min.js htdocs/vendor/markdown-it.LICENSE.txt \
  htdocs/vendor/purify.es.js htdocs/vendor/dompurify.LICENSE.txt htdocs/vendor/dompurify.LICENSE-MPL.txt
all: $(BINS) $(VENDOR)

vendor: $(VENDOR)

htdocs/vendor/markdown-it.esm.min.js: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp node_modules/markdown-it/dist/browser/markdown-it.esm.min.mjs $@
htdocs/vendor/markdown-it.LICENSE.txt: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp node_modules/markdown-it/LICENSE $@
htdocs/vendor/purify.es.js: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp node_modules/dompurify/dist/purify.es.mjs $@
htdocs/vendor/dompurify.LICENSE.txt: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp node_modules/dompurify/LICENSE $@
htdocs/vendor/dompurify.LICENSE-MPL.txt: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp node_modules/dompurify/LICENSE-MPL $@

$(B)/obj/core/%.o: cgi-bin/core/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

build/gen/sql_embed.cc: tools/embed-sql.sh sql/schema.sql $(wildcard sql/migrations/*.sql)
	@mkdir -p $(@D)
	bash tools/embed-sql.sh sql > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/%.o: build/gen/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Icgi-bin -c $< -o $@

$(B)/obj/chatctl/%.o: cgi-bin/chatctl/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Icgi-bin -c $< -o $@

# The admin tool: same core, its commands in cgi-bin/chatctl/.
$(B)/bin/chatctl: $(CHATCTL_OBJ) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(B)/obj/%.o: cgi-bin/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(B)/obj/files/%.o: cgi-bin/files/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Icgi-bin $(VIPS_CFLAGS) -c $< -o $@

$(B)/bin/files: $(B)/obj/files.o $(FILES_OBJ) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS) $(VIPS_LIBS)

# rooms.cpp includes rooms/handlers.h, which names core/ from cgi-bin/.
$(B)/obj/rooms.o: CPPFLAGS += -Icgi-bin
$(B)/obj/rooms/%.o: cgi-bin/rooms/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Icgi-bin -c $< -o $@

$(B)/bin/rooms: $(B)/obj/rooms.o $(ROOMS_OBJ) $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(B)/bin/%: $(B)/obj/%.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(B)/obj/unit/%.o: tests/unit/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Icgi-bin -c $< -o $@

# names.o (cgi-bin/files/) needs no libvips: its unit test links it alone.
$(B)/bin/unit_tests: $(UNIT_OBJ) $(CORE_OBJ) $(B)/obj/files/names.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $^ -o $@ -lgtest -lgtest_main -pthread $(LDLIBS)

# serve.cc and poll.cpp are compiled into the test itself (it calls Handle).
$(B)/bin/alloc_tests: tests/alloc/poll_allocs.cc $(filter-out %/serve.o,$(CORE_OBJ))
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -Icgi-bin $< $(filter-out %/serve.o,$(CORE_OBJ)) -o $@ \
	  -lgtest -lgtest_main -pthread $(LDLIBS)
-include $(B)/bin/alloc_tests.d

# Installs the Debian packages that are missing (nothing when all are there).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || \
	  { [ $$p = nodejs ] && command -v node >/dev/null; } || { [ $$p = npm ] && command -v npm >/dev/null; } || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing $$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

npm-deps: deps
	@if [ -f package-lock.json ]; then $(MAKE) --no-print-directory node_modules/.package-lock.json; fi

run: deps
	@$(MAKE) --no-print-directory all
	exec bash conf/run.sh all

# make test: unit tests on the plain build, then unit + API tests through the
# ASan+UBSan build (build/san/: any sanitizer report fails), browser tests on
# the plain build, then each fuzzer for 20 s. Builds use every core.
# make test SAN=1: only the sanitizer part.
test: deps npm-deps
ifeq ($(SAN),1)
	@$(MAKE) --no-print-directory -j$$(nproc) SAN= all
	$(MAKE) --no-print-directory test-san
else
	@$(MAKE) --no-print-directory -j$$(nproc) all $(B)/bin/unit_tests $(BENCH_BINS)
	$(MAKE) --no-print-directory format-check test-unit
	$(MAKE) --no-print-directory SAN=1 test-san
	$(MAKE) --no-print-directory test-browser test-fuzz
endif

# Unit and API tests through the sanitizer build (run with SAN=1). Tests that
# run chatctl or `make install` use the plain build in build/bin.
test-san:
ifeq ($(SAN),1)
	@$(MAKE) --no-print-directory -j$$(nproc) all $(B)/bin/unit_tests $(BENCH_BINS)
	@rm -rf $(SAN_LOG) && mkdir -p $(SAN_LOG)
	$(MAKE) --no-print-directory test-unit test-api
	@if ls $(SAN_LOG)/* >/dev/null 2>&1; then head -c 20000 $(SAN_LOG)/*; \
	  echo "!!! sanitizer reports in $(SAN_LOG) !!!"; exit 1; fi; echo "SAN=1: no sanitizer reports"
else
	$(MAKE) --no-print-directory SAN=1 test-san
endif

# The empty poll's allocation count (tests/alloc/): plain build only, since
# it counts malloc itself and the sanitizers bring their own.
ifeq ($(SAN),1)
test-unit: $(B)/bin/unit_tests
	$(B)/bin/unit_tests
else
test-unit: $(B)/bin/unit_tests $(B)/bin/alloc_tests
	$(B)/bin/unit_tests
	$(B)/bin/alloc_tests
endif

test-api: all $(BENCH_BINS)
	node --test --test-concurrency=1 tests/api/

test-browser: all
	@if ls tests/browser/*.test.mjs >/dev/null 2>&1; then \
	  node --test --test-concurrency=1 tests/browser/; \
	else echo "!!! SKIPPED: no browser tests in tests/browser/ !!!"; fi

# Fuzzing (tests/fuzz/): libFuzzer targets built by clang with ASan+UBSan
# over the core compiled the same way. `make fuzz` runs each for
# FUZZ_SECONDS (180); `make test` runs each for 20 s from the committed seed
# corpus (new finds go to build/fuzz/corpus/, crashes to build/fuzz/artifacts/).
FUZZ_CXX ?= clang++
FUZZ_FLAGS := -std=c++17 -g -O1 -Wall -Wextra -Werror -I/usr/include/jsoncpp -Icgi-bin -MMD -MP \
  -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.cc,%,$(wildcard tests/fuzz/fuzz_*.cc))
FUZZ_CORE := $(patsubst cgi-bin/core/%.cc,build/fuzz/obj/core/%.o,\
  $(filter-out cgi-bin/core/serve.cc cgi-bin/core/log.cc,$(wildcard cgi-bin/core/*.cc)))
FUZZ_CORE += build/fuzz/obj/gen/sql_embed.o
FUZZ_SHARED := $(patsubst tests/fuzz/%.cc,build/fuzz/obj/%.o,\
  tests/fuzz/harness.cc $(wildcard tests/fuzz/routes_*.cc))
# routes_rooms.cc's handlers (cgi-bin/rooms/).
FUZZ_SHARED += $(patsubst cgi-bin/rooms/%.cc,build/fuzz/obj/rooms/%.o,$(wildcard cgi-bin/rooms/*.cc))
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_SECONDS ?= 180

build/fuzz/obj/core/%.o: cgi-bin/core/%.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/obj/gen/%.o: build/gen/%.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/obj/%.o: tests/fuzz/%.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/obj/rooms/%.o: cgi-bin/rooms/%.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: build/fuzz/obj/fuzz_%.o $(FUZZ_SHARED) $(FUZZ_CORE)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)

# The image target (tests/fuzz/fuzz_image.cc): cgi-bin/files/ built the
# same way, with libvips (Debian's build, not instrumented: ASan sees our
# side of every call and libvips' allocations through its malloc).
build/fuzz/obj/files/%.o: cgi-bin/files/%.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) $(VIPS_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/obj/fuzz_image.o: tests/fuzz/fuzz_image.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) $(VIPS_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_image: build/fuzz/obj/fuzz_image.o build/fuzz/obj/files/image.o $(FUZZ_SHARED) $(FUZZ_CORE)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS) $(VIPS_LIBS)

# Its seeds are made, not committed (tests/fuzz/image-seeds.mjs).
build/fuzz/corpus/image/seed.png: tests/fuzz/image-seeds.mjs tests/lib/images.mjs
	node tests/fuzz/image-seeds.mjs build/fuzz/corpus/image

fuzz-build: deps
	@$(MAKE) --no-print-directory -j$$(nproc) $(FUZZ_BINS) build/fuzz/corpus/image/seed.png

# Runs every target for $(1) seconds from its seed corpus, one per core at a
# time (tests/fuzz/run.sh); fails on any crash, leak or undefined behaviour.
define run_fuzzers
	@bash tests/fuzz/run.sh $(1) $(FUZZ_TARGETS)
endef

fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SECONDS))

test-fuzz: fuzz-build
	$(call run_fuzzers,20)

# Workers SIGKILLed at random every 200 ms while people post and poll (tests/api/kill.test.mjs).
CHAOS_SECONDS ?= 60
chaos: deps
	@$(MAKE) --no-print-directory all
	CHAOS_SECONDS=$(CHAOS_SECONDS) node --test tests/api/kill.test.mjs

# The benchmark's own programs (tests/bench/): a hello-world FastCGI baseline,
# the seed loader, the load generator, the push subscriber (S7) and the
# commit-rate probe. `make bench`
# runs them; test-api checks they still work against the stack.

$(B)/obj/bench/%.o: tests/bench/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -Icgi-bin -c $< -o $@

$(B)/bin/bench_hello: $(B)/obj/bench/hello.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $^ -o $@ -lfcgi

$(B)/bin/bench_seed: $(B)/obj/bench/seed.o $(CORE_OBJ)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

$(B)/bin/bench_load: $(B)/obj/bench/load.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $^ -o $@

$(B)/bin/bench_subscribe: $(B)/obj/bench/subscribe.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $^ -o $@

$(B)/bin/bench_commits: $(B)/obj/bench/commits.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $^ -o $@ -lsqlite3

# Only `make bench PEERS=1` needs it (tests/bench/peers.mjs).
PEER_PACKAGES := fossil
bench: deps
	$(if $(PEERS),@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(PEER_PACKAGES)")
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	node tests/bench/run.mjs $(if $(QUICK),--quick) $(if $(PEERS),--peers)

# Every C++ file, as .clang-format says; `make test` fails on any drift.
CXX_SOURCES = $(wildcard cgi-bin/*.cpp tests/alloc/*.cc cgi-bin/core/*.h cgi-bin/core/*.cc cgi-bin/files/*.h cgi-bin/files/*.cc cgi-bin/rooms/*.h cgi-bin/rooms/*.cc cgi-bin/chatctl/*.h \
  cgi-bin/chatctl/*.cc tests/unit/*.cpp tests/unit/*.h tests/bench/*.cc tests/bench/*.h tests/fuzz/*.cc tests/fuzz/*.h)
format:
	clang-format -i $(CXX_SOURCES)

format-check: deps
	clang-format --dry-run -Werror $(CXX_SOURCES)

clean:
	rm -rf build

-include $(FUZZ_CORE:.o=.d) $(FUZZ_SHARED:.o=.d) build/fuzz/obj/files/image.d $(FUZZ_BINS:build/fuzz/%=build/fuzz/obj/%.d)
-include $(FILES_OBJ:.o=.d) $(ROOMS_OBJ:.o=.d)
-include $(CHATCTL_OBJ:.o=.d) $(CORE_OBJ:.o=.d) $(PROGRAMS:%=$(B)/obj/%.d) $(UNIT_OBJ:.o=.d) $(wildcard $(B)/obj/bench/*.d)
.SECONDARY:

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs and chatroom-spawn
# in $(PREFIX)/lib/chatroom/, chatctl in $(PREFIX)/sbin/, the pages, sql/ and
# the example nginx/Apache sites in $(PREFIX)/share/chatroom/, the systemd
# units in /etc/systemd/system/, an empty data folder /var/lib/chatroom/.
# README "Deploying" says what to do next (user, chatctl init, units, site).
PREFIX ?= /usr/local
DESTDIR ?=
CHAT_LIBDIR = $(PREFIX)/lib/chatroom
CHAT_SHAREDIR = $(PREFIX)/share/chatroom
CHAT_STATEDIR ?= /var/lib/chatroom
CHAT_RUNDIR ?= /run/chatroom
SYSTEMD_UNITDIR ?= /etc/systemd/system
CHAT_CONFIG ?= /etc/chatroom/chatroom.env
INSTALL_SED = sed -e 's|@LIB@|$(CHAT_LIBDIR)|g' -e 's|@HTDOCS@|$(CHAT_SHAREDIR)/htdocs|g' \
  -e 's|@NGINX@|$(CHAT_SHAREDIR)/conf/nginx|g' -e 's|@RUN@|$(CHAT_RUNDIR)|g' \
  -e 's|@STATE@|$(CHAT_STATEDIR)|g' -e 's|@CONFIG@|$(CHAT_CONFIG)|g' -e 's|@SHARE@|$(CHAT_SHAREDIR)|g' \
  -e 's|@SBIN@|$(PREFIX)/sbin|g'

# The push parts of the nginx site (conf/push-*.conf.in, as in development):
# the site's upstream names, the publisher socket beside the run folder (it
# exists before the workers' folder does), channels in nginx's memory.
CHAT_PUSH_SOCKET ?= $(CHAT_RUNDIR)-push.sock
INSTALL_PUSH_SED = -e 's|@CONF@|$(CHAT_SHAREDIR)/conf/nginx|g' -e 's|@PUSH_SOCKET@|$(CHAT_PUSH_SOCKET)|g' \
  -e '/^ *@PUSH_\(REDIS\|STORE\)@$$/d' -e 's/\bchat_\(push\|poll\)\b/chatroom_\1/g'

# The sites' own settings (chatroom-site --help): host name, ports, listening
# addresses (all, ipv4, ipv6, loopback or one address), certificate paths
# (certbot's for SERVER_NAME when empty).
SERVER_NAME ?= chat.example.org
HTTP_PORT ?= 80
HTTPS_PORT ?= 443
LISTEN ?= all
TLS_CERT ?=
TLS_KEY ?=
SITE_ARGS = --server-name '$(SERVER_NAME)' --http-port '$(HTTP_PORT)' --https-port '$(HTTPS_PORT)' \
  --listen '$(LISTEN)' $(if $(TLS_CERT),--cert '$(TLS_CERT)') $(if $(TLS_KEY),--key '$(TLS_KEY)')

.PHONY: install
install: all
	install -d $(DESTDIR)$(CHAT_LIBDIR) $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(CHAT_SHAREDIR)/sql/migrations \
	  $(DESTDIR)$(CHAT_SHAREDIR)/conf/nginx $(DESTDIR)$(CHAT_SHAREDIR)/conf/apache \
	  $(DESTDIR)$(SYSTEMD_UNITDIR)
	install -d -m 0750 $(DESTDIR)$(CHAT_STATEDIR)
	install -m 0755 $(PROGRAMS:%=build/bin/%) $(DESTDIR)$(CHAT_LIBDIR)/
	$(INSTALL_SED) conf/deploy/chatroom-spawn.in > $(DESTDIR)$(CHAT_LIBDIR)/chatroom-spawn
	chmod 0755 $(DESTDIR)$(CHAT_LIBDIR)/chatroom-spawn
	install -m 0755 build/bin/chatctl $(DESTDIR)$(PREFIX)/sbin/chatctl
	install -d $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 conf/deploy/man/chatctl.8 conf/deploy/man/chatroom-site.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	rm -rf $(DESTDIR)$(CHAT_SHAREDIR)/htdocs
	cp -R htdocs $(DESTDIR)$(CHAT_SHAREDIR)/htdocs
	find $(DESTDIR)$(CHAT_SHAREDIR)/htdocs -name '.*' -prune -exec rm -rf {} +
	chmod -R u=rwX,go=rX $(DESTDIR)$(CHAT_SHAREDIR)/htdocs
	install -m 0644 sql/schema.sql $(DESTDIR)$(CHAT_SHAREDIR)/sql/
	install -m 0644 sql/migrations/*.sql $(DESTDIR)$(CHAT_SHAREDIR)/sql/migrations/
	install -m 0644 conf/security-headers.conf conf/api-errors.conf conf/fastcgi-params.conf \
	  $(DESTDIR)$(CHAT_SHAREDIR)/conf/nginx/
	$(INSTALL_SED) conf/deploy/chatroom-site.in > $(DESTDIR)$(PREFIX)/sbin/chatroom-site
	chmod 0755 $(DESTDIR)$(PREFIX)/sbin/chatroom-site
	$(INSTALL_SED) conf/deploy/nginx-site.conf.in > $(DESTDIR)$(CHAT_SHAREDIR)/conf/nginx/chatroom.conf.in
	$(INSTALL_SED) conf/deploy/apache-site.conf.in > $(DESTDIR)$(CHAT_SHAREDIR)/conf/apache/chatroom.conf.in
	for kind in nginx apache; do sh $(DESTDIR)$(PREFIX)/sbin/chatroom-site $$kind $(SITE_ARGS) \
	  --template $(DESTDIR)$(CHAT_SHAREDIR)/conf/$$kind/chatroom.conf.in \
	  > $(DESTDIR)$(CHAT_SHAREDIR)/conf/$$kind/chatroom.conf || exit 1; done
	for f in push-publisher push-events; do $(INSTALL_SED) $(INSTALL_PUSH_SED) conf/$$f.conf.in \
	  > $(DESTDIR)$(CHAT_SHAREDIR)/conf/nginx/$$f.conf; done
	install -m 0644 conf/deploy/chatroom.env $(DESTDIR)$(CHAT_SHAREDIR)/conf/chatroom.env
	install -d $(DESTDIR)$(CHAT_SHAREDIR)/conf/init.d $(DESTDIR)$(CHAT_SHAREDIR)/conf/logrotate
	$(INSTALL_SED) conf/deploy/chatroom.init.in > $(DESTDIR)$(CHAT_SHAREDIR)/conf/init.d/chatroom
	chmod 0755 $(DESTDIR)$(CHAT_SHAREDIR)/conf/init.d/chatroom
	$(INSTALL_SED) conf/deploy/chatroom.logrotate.in > $(DESTDIR)$(CHAT_SHAREDIR)/conf/logrotate/chatroom
	$(INSTALL_SED) 'conf/deploy/chatroom@.socket.in' > '$(DESTDIR)$(SYSTEMD_UNITDIR)/chatroom@.socket'
	$(INSTALL_SED) 'conf/deploy/chatroom@.service.in' > '$(DESTDIR)$(SYSTEMD_UNITDIR)/chatroom@.service'
	for u in service timer; do $(INSTALL_SED) conf/deploy/chatroom-prune.$$u.in \
	  > $(DESTDIR)$(SYSTEMD_UNITDIR)/chatroom-prune.$$u; done
	@echo "installed under $(DESTDIR)$(PREFIX); next: README \"Deploying\""

# make deb [DEB_VERSION=]: build/chatroom_<version>_<arch>.deb with Debian's
# own tools (dpkg-buildpackage, debhelper; the packaging is conf/debian/),
# built in a copy of the tracked files (build/deb/src, kept so a second
# build reuses its objects), then checked by lintian (no error allowed).
DEB_VERSION ?= 1.0.$(shell git rev-list --count HEAD 2>/dev/null || echo 0)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
.PHONY: deb
deb:
	@command -v dh >/dev/null && command -v lintian >/dev/null || { \
	  echo "make deb needs debhelper and lintian: apt-get install debhelper lintian (make deps)"; exit 1; }
	mkdir -p build/deb/src
	@# sql/ afresh: a migration renumbered or removed in git must not stay behind in the
	@# kept copy (two files with one number stop the build's tools/embed-sql.sh).
	rm -rf build/deb/src/sql
	git ls-files -z | grep -zv '^tests/' | xargs -0 cp -p --parents -t build/deb/src
	rm -rf build/deb/src/debian && cp -R conf/debian build/deb/src/debian
	sed -e 's|@VERSION@|$(DEB_VERSION)|' -e "s|@DATE@|$$(date -R)|" conf/debian/changelog.in \
	  > build/deb/src/debian/changelog && rm build/deb/src/debian/changelog.in
	@# Without this make's settings: make test's SAN=1 (passed to sub-makes in MAKEFLAGS
	@# and, being a command-line variable, in the environment too) would reach the package's build.
	cd build/deb/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SAN -u CHAT_BIN -u ASAN_OPTIONS -u UBSAN_OPTIONS \
	  dpkg-buildpackage -b -us -uc --no-pre-clean > ../build.log 2>&1 || \
	  { tail -40 ../build.log; exit 1; }
	cp build/deb/chatroom_$(DEB_VERSION)_$(DEB_ARCH).deb build/
	lintian --fail-on error --tag-display-limit 0 build/chatroom_$(DEB_VERSION)_$(DEB_ARCH).deb
	@echo "built build/chatroom_$(DEB_VERSION)_$(DEB_ARCH).deb (README \"A Debian package\")"

# make uninstall [PREFIX=] [DESTDIR=]: removes what make install put in place
# (and the init script / logrotate file README "Deploying" copies from it),
# stopping the workers first when DESTDIR is empty; keeps the database,
# backups, settings, sites and the account, and says how to remove them.
.PHONY: uninstall
uninstall:
	@DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' CHAT_LIBDIR='$(CHAT_LIBDIR)' CHAT_SHAREDIR='$(CHAT_SHAREDIR)' \
	  SYSTEMD_UNITDIR='$(SYSTEMD_UNITDIR)' CHAT_STATEDIR='$(CHAT_STATEDIR)' CHAT_CONFIG='$(CHAT_CONFIG)' \
	  sh conf/deploy/uninstall.sh

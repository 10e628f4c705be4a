# sluice top-level Makefile.
#
# Each source folder has a build.mk that appends to PROGS (programs for bin/),
# TEST_PROGS (test builds of programs with test hooks: bin/ too, but never
# installed), UNIT_TESTS (C unit tests for bin/tests/) and FUZZERS (libFuzzer
# targets), and names their objects as NAME_OBJS (and libraries only that one
# needs as NAME_LIBS).  Objects go to $(O)/ so that the plain and
# the sanitizer builds never mix.
#
#   make            build every program into bin/
#   make check      install missing Debian packages (conf/install-deps.sh),
#                   build, then run every test (ends with "N passed, N failed")
#   make asan       the same build and tests under ASan and UBSan
#   make fuzz       build the libFuzzer targets with clang into bin/fuzz/
#   make bench      sluice vs Postfix, one table (root; not part of check;
#                   BENCH_QUICK=1 for a one-minute smoke run; bench/README.md)
#   make install PREFIX=/usr/local
#   make clean

CC       ?= cc
PREFIX   ?= /usr/local
O        ?= obj
SAN      ?=
OPT      ?= -O2
PY       ?= /usr/bin/python3

OPENSSL_CFLAGS := $(shell pkg-config --cflags openssl 2>/dev/null)
OPENSSL_LIBS   := $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto)

WARN     = -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Ilib $(OPENSSL_CFLAGS) $(CFLAGS) $(SAN)
LDLIBS   = -lowfat $(OPENSSL_LIBS) -lcares -lcrypt
ALL_LDFLAGS = -Wl,-z,now -Wl,-z,relro $(LDFLAGS) $(SAN)

PROGS      :=
TEST_PROGS :=
UNIT_TESTS :=
FUZZERS    :=

include lib/build.mk
include $(wildcard smtpd/build.mk queue/build.mk manager/build.mk remote/build.mk local/build.mk pop3d/build.mk imap/build.mk conf/build.mk tests/build.mk)

LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
LIBA     := $(O)/libsluice.a

.PHONY: all check deps asan fuzz bench install clean demo
all: $(addprefix bin/,$(PROGS) $(TEST_PROGS)) $(addprefix bin/tests/,$(UNIT_TESTS))

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

define prog_rule
bin/$(1): $$($(1)_OBJS:%.c=$(O)/%.o) $(LIBA)
	@mkdir -p bin
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$($(1)_LIBS)
endef
$(foreach p,$(PROGS) $(TEST_PROGS),$(eval $(call prog_rule,$(p))))

define test_rule
bin/tests/$(1): $$($(1)_OBJS:%.c=$(O)/%.o) $(LIBA)
	@mkdir -p bin/tests
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$($(1)_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call test_rule,$(t))))

# Fuzz targets: clang, libFuzzer, ASan, UBSan; every lib source compiled in.
FUZZ_CC     ?= clang
FUZZ_FLAGS   = -std=c11 -D_GNU_SOURCE -g -O1 -Ilib $(OPENSSL_CFLAGS) -fsanitize=fuzzer,address,undefined
define fuzz_rule
bin/fuzz/$(1): $$($(1)_OBJS) $(LIB_SRCS)
	@mkdir -p bin/fuzz
	$$(FUZZ_CC) $$(FUZZ_FLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_rule,$(f))))
fuzz: $(addprefix bin/fuzz/,$(FUZZERS))

# The packages come first: on a fresh machine nothing can compile before
# libowfat-dev is there, so check runs install-deps, then builds.
deps:
	bash conf/install-deps.sh

check: deps
	$(MAKE) all
	$(PY) tests/run.py

asan:
	rm -rf bin
	$(MAKE) O=obj-san OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" check
	rm -rf bin

bench: all
	bash bench/run

demo:
	bash conf/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	for p in $(PROGS); do install -m 0755 bin/$$p $(DESTDIR)$(PREFIX)/bin/$$p; done
	if id sluiceq >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		chown sluiceq:sluiceq $(DESTDIR)$(PREFIX)/bin/sluice-queue && chmod 6711 $(DESTDIR)$(PREFIX)/bin/sluice-queue; fi
	for l in mailq newaliases; do ln -sf sluice-sendmail $(DESTDIR)$(PREFIX)/bin/$$l; done
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	for m in doc/man/*.5; do install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man5/; done
	for m in doc/man/*.8 */sluice-*.8; do [ ! -f "$$m" ] || install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/; done

clean:
	rm -rf bin obj obj-san

-include $(shell find $(O) -name '*.d' 2>/dev/null)

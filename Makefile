# ipsecfx: top-level build.
#
#   make            build the daemon, the command, tests and benchmarks
#   make test       install missing Debian packages, build, run the test suite
#   make test SANITIZE=1   the same under AddressSanitizer + UBSan (build-san/)
#   make bench      run the benchmarks (not part of the tests)
#   make fuzz       build the libFuzzer targets, run each FUZZ_SECONDS (300)
#   make deps       install the Debian packages the project needs
#   make demo       two appliances in namespaces, a tunnel carrying traffic
#   make man        the man pages, $(O)/man/*.5 and *.8 (scdoc; no C build)
#   make install    ipsecfxd, ipsecfx, man pages, docs under $(DESTDIR)$(PREFIX)
#   make deb        the Debian package, $(O)/ipsecfx_<version>_amd64.deb, and lintian
#   make deb-test   make deb, then install it in a fresh Debian root and check it
#
# Build output goes to $(O) (build/ or build-san/); the tree stays clean.

.DEFAULT_GOAL := all
SHELL := /bin/bash

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
O ?= build-san
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
O ?= build
SAN :=
endif

# The RTL datapath width, bits: selects the Verilator models that engine
# sim and pipe run (make test DATA_W=..., make demo ENGINE=sim DATA_W=...)
DATA_W ?= 128
ifneq ($(DATA_W),128)
$(error DATA_W=$(DATA_W): this version builds the 128-bit datapath only (docs/rtl.md, "Width"))
endif

CC ?= cc
AR := gcc-ar
# LTO lets the per-packet path inline across files (esp.c -> xform.c)
CFLAGS ?= -O2 -g -flto=auto
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
# CPPFLAGS, CFLAGS and LDFLAGS from the environment are Debian's build flags
# in the package build (debian/rules)
IPX_CPPFLAGS := -Idriver/include -D_GNU_SOURCE -MMD -MP $(CPPFLAGS)
IPX_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(SAN)
IPX_LDFLAGS := $(SAN) $(filter -flto%,$(CFLAGS)) $(LDFLAGS)

pc = $(shell pkg-config --silence-errors $(1) $(2))
LIBS_CRYPTO := -lIPSec_MB $(or $(call pc,--libs,libcrypto),-lcrypto)
LIBS_CYAML := $(or $(call pc,--libs,libcyaml),-lcyaml) $(or $(call pc,--libs,yaml-0.1),-lyaml)
LIBS_PCAP := $(or $(call pc,--libs,libpcap),-lpcap)
LIBS_JSON := $(or $(call pc,--libs,jansson),-ljansson)
LIBS_CMOCKA := $(or $(call pc,--libs,cmocka),-lcmocka)
LIBS_EVENT := $(or $(call pc,--libs,libevent),-levent)
LIBS_CAP := $(or $(call pc,--libs,libcap),-lcap)
LIBS_SYSTEMD := $(or $(call pc,--libs,libsystemd),-lsystemd)

# Each module adds to these.
BINS :=
TEST_BINS :=
BENCH_BINS :=
OBJS :=

$(O)/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CC) $(IPX_CPPFLAGS) $(IPX_CFLAGS) -c -o $@ $<

include driver/module.mk
include host/dataplane/module.mk
include host/module.mk
include tests/module.mk
include bench/module.mk
include tests/ike/module.mk
include tests/fuzz/module.mk
include hw/module.mk
include docs/man/module.mk

all: $(BINS) $(TEST_BINS) $(BENCH_BINS)

deps:
	@scripts/deps.sh

# The test command of README.md.  Builds with every warning an error, runs
# every suite, ends with "N passed, N failed".
test: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@O=$(O) SANITIZE=$(SANITIZE) tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@O=$(O) bench/run.sh

# README's main command: two appliances, a tunnel, traffic (needs root).
demo: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	@IPSECFX_BUILD=$(CURDIR)/$(O) ENGINE=$(or $(ENGINE),soft) scripts/demo.sh

# ---- install, the Debian package ------------------------------------------
# `make install` puts the programs, man pages and documents under
# $(DESTDIR)$(PREFIX) (/usr/local: docs/deploy.md); the package installs
# with PREFIX=/usr. The configuration, the account and the systemd unit are
# the package's (debian/) or the operator's (docs/deploy.md).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/ipsecfx
DOCS := README.md $(sort $(wildcard docs/*.md))

install: $(O)/ipsecfxd $(O)/ipsecfx $(MAN_PAGES)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR)
	install -m 0755 $(O)/ipsecfxd $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(O)/ipsecfx $(DESTDIR)$(BINDIR)/
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/

# `make deb`: dpkg-buildpackage builds in debian/build (not $(O)) with
# Debian's flags and writes its files next to the tree, from where they move
# to $(O); lintian then checks the package (docs/operations.md, "Debian
# package", explains each tag it still prints). The outer make's flags and
# variables (O=, SANITIZE=, -j) stay out of the package build.
DEB_JOBS ?= 2
deb_ver = $(shell dpkg-parsechangelog -S Version)
deb_arch = $(shell dpkg-architecture -qDEB_HOST_ARCH)
deb_files = ipsecfx_$(deb_ver)_$(deb_arch).deb ipsecfx-dbgsym_$(deb_ver)_$(deb_arch).deb \
	ipsecfx_$(deb_ver)_$(deb_arch).buildinfo ipsecfx_$(deb_ver)_$(deb_arch).changes

deb:
	@for t in dpkg-buildpackage dh lintian; do command -v $$t >/dev/null || \
		{ echo "make deb: $$t missing (scripts/deps.sh installs dpkg-dev, debhelper, lintian)" >&2; exit 1; }; done
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u O -u SANITIZE \
		dpkg-buildpackage -b -us -uc -j$(DEB_JOBS)
	@mkdir -p $(O)
	@for f in $(deb_files); do if [ -f ../$$f ]; then mv -f ../$$f $(O)/; fi; done
	lintian --info $(O)/ipsecfx_$(deb_ver)_$(deb_arch).deb
	@echo "make deb: $(O)/ipsecfx_$(deb_ver)_$(deb_arch).deb"

# the package built, then installed and checked in a fresh Debian root
# (tests/tool/t_deb.sh; scripts/debroot.sh makes the base root once)
deb-test: deb
	scripts/debroot.sh $(O)/ipsecfx_$(deb_ver)_$(deb_arch).deb
	@TESTS=tool/t_deb VERBOSE=1 O=$(O) tests/run.sh

.PHONY: install deb deb-test

clean:
	rm -rf build build-san

.PHONY: all deps test bench demo clean
.SECONDARY:

-include $(OBJS:.o=.d)

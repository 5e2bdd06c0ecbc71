# tests/fuzz/: libFuzzer targets (clang, ASan + UBSan) -> $(O)/fuzz/<name>
#
#   make fuzz                 build every target, run each FUZZ_SECONDS (300)
#   make fuzz FUZZ_SECONDS=60 FUZZ_JOBS=2
#   make fuzz-build           build only (tests/fuzz/t_fuzz_smoke.sh uses it)
#
# A target is one call, anywhere after this file is included:
#   $(eval $(call fuzz_target,<name>,<sources>,<seed corpus dir>[,<link flags>]))
# with tests/fuzz/<name>.c defining LLVMFuzzerTestOneInput, <sources> the
# code under test plus stubs (tests/fuzz/stub_log.c for ipx_log), a
# committed seed corpus and the system libraries it needs (these are not
# instrumented; only <sources> are).  Runs grow $(O)/fuzz/corpus-<name>/
# from the seeds and leave crashes in $(O)/fuzz/artifacts/.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_JOBS ?= 1
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(WARN) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Idriver/include -Idriver -Ihost -D_GNU_SOURCE
FUZZ_HDRS := $(wildcard host/*/*.h driver/*.h driver/*/*.h driver/include/ipsecfx/*.h)
FUZZ_TARGETS :=

define fuzz_target
FUZZ_TARGETS += $(1)
FUZZ_CORPUS_$(1) := $(3)
$(O)/fuzz/$(1): $(2) $$(FUZZ_HDRS)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $(2) $(4)
endef

$(eval $(call fuzz_target,fuzz_ike_parse,tests/fuzz/fuzz_ike_parse.c \
	tests/fuzz/stub_log.c $(IKE_CODEC_SRCS) $(PROTO_SRCS),tests/fuzz/corpus/ike))

# ESP decapsulation: the engine front and the software engine
FUZZ_ESP_SRCS := tests/fuzz/fuzz_esp_decap.c tests/fuzz/stub_log.c tests/fuzz/stub_hw.c \
	$(filter-out driver/log.c $(DRIVER_HW_SRCS),$(DRIVER_SRCS))
$(eval $(call fuzz_target,fuzz_esp_decap,$(FUZZ_ESP_SRCS),tests/fuzz/corpus/esp,$(LIBS_CRYPTO)))

# Configuration loading: both YAML loaders, with what they call (proposal
# parsing, cipher names); the real log.c so that every message is
# formatted.  --wrap=open: see fuzz_config.c.
FUZZ_CONFIG_SRCS := tests/fuzz/fuzz_config.c tests/fuzz/stub_hw.c \
	$(filter-out $(DRIVER_HW_SRCS),$(DRIVER_SRCS)) \
	host/config/yamlpos.c host/config/yamlcheck.c host/config/cfgutil.c \
	host/config/sas_file.c host/config/config.c host/config/config_pki.c \
	host/config/config_swanctl.c host/config/config_sanity.c host/ike/ike_pki.c $(PROTO_SRCS)
FUZZ_CONFIG_LIBS := -Wl,--wrap=open -Wl,--wrap=getaddrinfo $(LIBS_CYAML) $(LIBS_CRYPTO)
$(eval $(call fuzz_target,fuzz_config,$(FUZZ_CONFIG_SRCS),tests/fuzz/corpus/config,$(FUZZ_CONFIG_LIBS)))

# Certificate authentication: what IKE_AUTH decodes from a peer (its
# certificate, AUTH signature, DN and identities), ike_pki.c alone
FUZZ_PKI_LIBS := $(or $(call pc,--libs,libcrypto),-lcrypto)
$(eval $(call fuzz_target,fuzz_cert_auth,tests/fuzz/fuzz_cert_auth.c \
	tests/fuzz/stub_log.c host/ike/ike_pki.c,tests/fuzz/corpus/cert_auth,$(FUZZ_PKI_LIBS)))

# Hash and URL: the verdict on an HTTP answer and the URL check
$(eval $(call fuzz_target,fuzz_certfetch_body,tests/fuzz/fuzz_certfetch_body.c \
	tests/fuzz/stub_log.c host/ike/ike_certfetch.c,tests/fuzz/corpus/certfetch_body,$(IKE_LIBS)))

# Recipes expand when run, so targets declared later are included.
fuzz-build:
	@$(MAKE) --no-print-directory $(addprefix $(O)/fuzz/,$(FUZZ_TARGETS))

# Every target runs (FUZZ_ONLY="<name> ..." for some); fails if any did.
fuzz: fuzz-build
	@fail=; $(foreach t,$(or $(FUZZ_ONLY),$(FUZZ_TARGETS)),\
		tests/fuzz/run.sh $(O)/fuzz/$(t) $(FUZZ_CORPUS_$(t)) \
		$(FUZZ_SECONDS) $(FUZZ_JOBS) || fail="$$fail $(t)";) \
	if [ -n "$$fail" ]; then echo "fuzz: failed:$$fail" >&2; exit 1; fi

# "<name> <seed dir>" per line, for scripts
fuzz-targets:
	@$(foreach t,$(FUZZ_TARGETS),echo $(t) $(FUZZ_CORPUS_$(t));)

# Regenerate the committed seeds of fuzz_ike_parse (see mkseeds_ike.c) and
# of fuzz_esp_decap, fuzz_cert_auth and fuzz_certfetch_body (their -seeds
# mode; only the seed-* files, the rest of tests/fuzz/corpus/esp is
# minimized corpus from fuzz runs).
$(O)/fuzz/mkseeds_ike: tests/fuzz/mkseeds_ike.c $(IKE_LIB)
	@mkdir -p $(@D)
	$(CC) $(IPX_CPPFLAGS) -Ihost $(IPX_CFLAGS) -o $@ $< $(IKE_LIB) $(LIBS_JSON) $(IKE_LIBS)

fuzz-seeds: $(O)/fuzz/mkseeds_ike $(O)/fuzz/fuzz_esp_decap $(O)/fuzz/fuzz_cert_auth \
		$(O)/fuzz/fuzz_certfetch_body
	rm -f tests/fuzz/corpus/ike/*
	$< . tests/fuzz/corpus/ike
	rm -f tests/fuzz/corpus/esp/seed-*
	$(O)/fuzz/fuzz_esp_decap -seeds=tests/fuzz/corpus/esp
	mkdir -p tests/fuzz/corpus/cert_auth tests/fuzz/corpus/certfetch_body
	rm -f tests/fuzz/corpus/cert_auth/seed-* tests/fuzz/corpus/certfetch_body/seed-*
	$(O)/fuzz/fuzz_cert_auth -seeds=tests/fuzz/corpus/cert_auth
	$(O)/fuzz/fuzz_certfetch_body -seeds=tests/fuzz/corpus/certfetch_body

.PHONY: fuzz fuzz-build fuzz-targets fuzz-seeds

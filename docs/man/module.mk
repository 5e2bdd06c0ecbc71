# docs/man/: the man pages, scdoc sources -> $(O)/man/ipsecfxd.8,
# ipsecfx.8, ipsecfx.yaml.5 (`make man`; tests/tool/t_man.sh checks them).
# Needs scdoc only, not the C build.
SCDOC ?= scdoc
MAN_SRCS := $(wildcard docs/man/*.scd)
MAN_PAGES := $(MAN_SRCS:docs/man/%.scd=$(O)/man/%)

# The date in a page's footer: $SOURCE_DATE_EPOCH (dpkg-buildpackage sets
# it from debian/changelog), else the last commit of its source, so that
# the same tree makes the same pages; outside git, today.
$(O)/man/%: docs/man/%.scd
	@mkdir -p $(@D)
	@e=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct -- $< 2>/dev/null)}; \
	if [ -n "$$e" ]; then export SOURCE_DATE_EPOCH=$$e; fi; \
	echo "$(SCDOC) < $< > $@"; \
	$(SCDOC) < $< > $@.tmp && mv $@.tmp $@ || { rm -f $@.tmp; exit 1; }

man: $(MAN_PAGES)

.PHONY: man

# host/: the appliance -> $(O)/ipsecfx (the command) and $(O)/ipsecfxd.

# host/proto/: the IKEv2 vocabulary that the configuration and IKE share
# (protocol constants and names, proposals, traffic selectors): neither
# includes the other, both include this.  libc only (the fuzz targets link
# it as is).
PROTO_SRCS := host/proto/ikev2_names.c host/proto/proposal.c host/proto/ts.c
PROTO_OBJS := $(PROTO_SRCS:%.c=$(O)/%.o)
PROTO_LIB := $(O)/libipsecfx-proto.a
OBJS += $(PROTO_OBJS)

$(PROTO_LIB): $(PROTO_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

HOSTCFG_SRCS := host/config/yamlpos.c host/config/yamlcheck.c host/config/cfgutil.c \
	host/config/sas_file.c host/config/config.c host/config/config_pki.c \
	host/config/config_swanctl.c host/config/config_sanity.c host/config/cfg_peek.c \
	host/ctl/ctl.c
HOSTCFG_OBJS := $(HOSTCFG_SRCS:%.c=$(O)/%.o)
HOSTCFG_LIB := $(O)/libipsecfx-config.a
OBJS += $(HOSTCFG_OBJS)

$(HOSTCFG_LIB): $(HOSTCFG_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

IPSECFX_SRCS := host/cmd/ipsecfx.c host/cmd/cmd_esp.c host/cmd/cmd_ctl.c \
	host/cmd/cmd_import.c host/cmd/import_swanctl.c host/cmd/swanctl_conf.c
IPSECFX_OBJS := $(IPSECFX_SRCS:%.c=$(O)/%.o)
OBJS += $(IPSECFX_OBJS)
BINS += $(O)/ipsecfx

include host/ike/module.mk

# The host libraries refer to each other (config <-> ike): link as a group.
HOST_LIB_DEPS = $(IKE_LIB) $(HOSTCFG_LIB) $(PROTO_LIB) $(DP_LIB) $(DRIVER_LIB)
HOST_LIBS = -Wl,--start-group $(HOST_LIB_DEPS) -Wl,--end-group
HOST_SYSLIBS = $(LIBS_EVENT) $(LIBS_MNL) $(LIBS_CYAML) $(LIBS_PCAP) $(LIBS_JSON) $(IKE_LIBS) $(DRIVER_LIBS)

# the daemon
IPSECFXD_SRCS := host/daemon/ipsecfxd.c host/daemon/privs.c host/daemon/dlog.c host/daemon/initiate.c \
	host/daemon/metrics.c
IPSECFXD_OBJS := $(IPSECFXD_SRCS:%.c=$(O)/%.o)
OBJS += $(IPSECFXD_OBJS)
BINS += $(O)/ipsecfxd

$(O)/ipsecfxd: $(IPSECFXD_OBJS) $(HOST_LIB_DEPS)
	$(CC) $(IPX_LDFLAGS) -o $@ $(IPSECFXD_OBJS) $(HOST_LIBS) $(HOST_SYSLIBS) $(LIBS_CAP) $(LIBS_SYSTEMD)

$(O)/ipsecfx: $(IPSECFX_OBJS) $(HOST_LIB_DEPS)
	$(CC) $(IPX_LDFLAGS) -o $@ $(IPSECFX_OBJS) $(HOST_LIBS) $(HOST_SYSLIBS)

# host/: the appliance -> $(O)/ipsecfx (the command); ipsecfxd joins later.
HOSTCFG_SRCS := host/config/yamlpos.c host/config/cfgutil.c host/config/sas_file.c
HOSTCFG_OBJS := $(HOSTCFG_SRCS:%.c=$(O)/%.o)
HOSTCFG_LIB := $(O)/libipsecfx-config.a
OBJS += $(HOSTCFG_OBJS)

$(HOSTCFG_LIB): $(HOSTCFG_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

IPSECFX_SRCS := host/cmd/ipsecfx.c host/cmd/cmd_esp.c
IPSECFX_OBJS := $(IPSECFX_SRCS:%.c=$(O)/%.o)
OBJS += $(IPSECFX_OBJS)
BINS += $(O)/ipsecfx

$(O)/ipsecfx: $(IPSECFX_OBJS) $(HOSTCFG_LIB) $(DRIVER_LIB)
	$(CC) $(IPX_LDFLAGS) -o $@ $^ $(LIBS_CYAML) $(LIBS_PCAP) $(LIBS_JSON) $(DRIVER_LIBS)

include host/ike/module.mk

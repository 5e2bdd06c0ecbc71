# host/dataplane/: packet I/O, SPD, TUN -> $(O)/libipsecfx-dp.a
DP_SRCS := host/dataplane/dp.c host/dataplane/dp_child.c host/dataplane/dp_map.c \
	host/dataplane/dp_stats.c host/dataplane/net.c host/dataplane/tun.c \
	host/dataplane/rtnl.c host/dataplane/spd.c host/dataplane/gso.c
DP_OBJS := $(DP_SRCS:%.c=$(O)/%.o)
DP_LIB := $(O)/libipsecfx-dp.a
LIBS_MNL := $(or $(call pc,--libs,libmnl),-lmnl)
DP_LIBS := $(LIBS_EVENT) $(LIBS_MNL) $(LIBS_JSON)
OBJS += $(DP_OBJS)

$(DP_LIB): $(DP_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

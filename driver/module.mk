# driver/: the ESP engine API and its backends -> $(O)/libipsecfx-driver.a
DRIVER_SRCS := driver/engine.c driver/log.c \
	driver/soft/soft.c driver/soft/esp.c driver/soft/xform.c \
	driver/soft/replay.c
DRIVER_OBJS := $(DRIVER_SRCS:%.c=$(O)/%.o)
DRIVER_LIB := $(O)/libipsecfx-driver.a
DRIVER_LIBS := $(LIBS_CRYPTO)
OBJS += $(DRIVER_OBJS)

$(DRIVER_LIB): $(DRIVER_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

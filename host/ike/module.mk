# host/ike/: IKEv2 -> $(O)/libipsecfx-ike.a: the wire codec, the IKE crypto
# and the manager (docs/ike.md).  Nothing here knows sockets or the data
# plane: the daemon wires the manager to them (struct ike_io).  The codec
# alone (IKE_CODEC_SRCS, with host/proto) needs nothing but libc, which is
# what the fuzz target links; the crypto needs OpenSSL 3 and ipx_log.
IKE_CODEC_SRCS := host/ike/ike_pld.c host/ike/ike_build.c
IKE_SRCS := $(IKE_CODEC_SRCS) host/ike/ike_crypto.c host/ike/ike_dh.c host/ike/ike_dhpool.c \
	host/ike/ike_sk.c \
	host/ike/ike_mgr.c host/ike/ike_init.c host/ike/ike_auth.c \
	host/ike/ike_child.c host/ike/ike_info.c host/ike/ike_create.c \
	host/ike/ike_timer.c host/ike/ike_wheel.c host/ike/ike_guard.c host/ike/ike_frag.c host/ike/ike_table.c host/ike/ike_send.c \
	host/ike/ike_recv.c host/ike/ike_list.c host/ike/ike_pki.c host/ike/ike_certfetch.c \
	host/ike/ike_cert.c host/ike/ike_certlist.c host/ike/ike_refuse.c
IKE_OBJS := $(IKE_SRCS:%.c=$(O)/%.o)
IKE_LIB := $(O)/libipsecfx-ike.a
IKE_LIBS := $(or $(call pc,--libs,libcrypto),-lcrypto) $(LIBS_EVENT) -pthread
OBJS += $(IKE_OBJS)

$(IKE_LIB): $(IKE_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

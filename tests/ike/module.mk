# tests/ike/: helpers of the IKE script suites (tests/ike/t_*.sh) and the
# strongSwan capture script that made tests/vectors/ike/strongswan_*.json.
IKE_PCAPGEN := $(O)/tests/ike_pcapgen
OBJS += $(O)/tests/ike/ike_pcapgen.o
TEST_BINS += $(IKE_PCAPGEN)

$(O)/tests/ike/%.o: IPX_CPPFLAGS += -Ihost

$(IKE_PCAPGEN): $(O)/tests/ike/ike_pcapgen.o $(IKE_LIB) $(PROTO_LIB) $(DRIVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^ $(LIBS_PCAP) $(IKE_LIBS) $(DRIVER_LIBS)

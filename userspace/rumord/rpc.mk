# SPDX-License-Identifier: GPL-2.0
#
# The replica protocol's codec (rpc_proto.c): the frames a coordinating
# rumord and the replicas of a key exchange for consistency levels, on the
# TCP port of the anti-entropy sessions. Included by the top Makefile (its
# -include userspace/rumord/*.mk), whose variables and rules it uses.
# rumord.mk links rpc_proto.c into the daemon; the codec needs no library and no
# other source, only headers (merkle.h for the digest's type, ring.h for
# a node's address, sync.h for the compile-time check that its magic can
# never be taken for a sync session's first frame).
#
# This file sorts before sync.mk, so it names the core's sources its test
# needs itself rather than reading RUMORD_SYNC_SRCS.

RUMORD_RPC_DIR		:= userspace/rumord
RUMORD_RPC_SRCS		:= $(RUMORD_RPC_DIR)/rpc_proto.c
RUMORD_RPC_OBJS		:= $(RUMORD_RPC_SRCS:%.c=$(BUILD)/%.o)
RUMORD_RPC_HDRS		:= $(RUMORD_RPC_DIR)/rpc_proto.h

RUMORD_RPC_TESTS	:= $(BUILD)/selftests/unit/test_rpc_proto
UNIT_TESTS		+= $(RUMORD_RPC_TESTS)

tests: $(RUMORD_RPC_TESTS)

# An explicit rule, so it wins over the core's pattern rule for
# $(BUILD)/selftests/unit/%. Under ASan and UBSan like every unit test.
# Besides the codec, the test links the anti-entropy core and the
# in-memory replica, to tell real sync HELLOs from RPC frames and to
# compute real entry digests (rumord_entry_hash, XXH3).
RUMORD_RPC_TEST_SRCS	:= $(addprefix $(RUMORD_RPC_DIR)/,version.c hlc.c bvv.c \
			     merkle.c sync.c memreplica.c)

$(BUILD)/selftests/unit/test_rpc_proto: selftests/unit/test_rpc_proto.c \
		$(RUMORD_RPC_SRCS) $(RUMORD_RPC_TEST_SRCS) \
		$(wildcard $(RUMORD_RPC_DIR)/*.h) selftests/lib/ktap.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -I$(RUMORD_RPC_DIR) -o $@ $< $(RUMORD_RPC_SRCS) \
		$(RUMORD_RPC_TEST_SRCS) -lxxhash

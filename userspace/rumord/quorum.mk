# SPDX-License-Identifier: GPL-2.0
#
# Groundwork for consistency levels: the consistent hash ring with its
# preference lists and sloppy quorums (ring.c), and the durable store of
# hinted handoff (hints.c), with their unit tests under ASan and UBSan.
# The top Makefile includes it (its -include userspace/rumord/*.mk) and
# lends it its variables and rules. rumord.mk links ring.c and hints.c
# into the daemon (hints.c needs version.c from sync.mk's sources and
# shares mdb.c, the LMDB plumbing, with the store).
#
# This file sorts before rumord.mk and sync.mk, so it names the sources
# it needs of theirs itself rather than reading their variables.

RUMORD_QUORUM_DIR	:= userspace/rumord
RUMORD_QUORUM_SRCS	:= $(addprefix $(RUMORD_QUORUM_DIR)/,ring.c hints.c)
RUMORD_QUORUM_OBJS	:= $(RUMORD_QUORUM_SRCS:%.c=$(BUILD)/%.o)
RUMORD_QUORUM_LIBS	:= -llmdb -lxxhash
RUMORD_QUORUM_HDRS	:= $(addprefix $(RUMORD_QUORUM_DIR)/,ring.h hints.h)

RUMORD_QUORUM_TESTS	:= $(addprefix $(BUILD)/selftests/unit/,test_ring test_hints)
UNIT_TESTS		+= $(RUMORD_QUORUM_TESTS)

tests: $(RUMORD_QUORUM_TESTS)

# Explicit rules, so they win over the core's pattern rule for
# $(BUILD)/selftests/unit/%. The ring's test hashes its keys with
# rumord_key_hash (merkle.c), as the daemon will.
$(BUILD)/selftests/unit/test_ring: selftests/unit/test_ring.c \
		$(RUMORD_QUORUM_DIR)/ring.c $(RUMORD_QUORUM_DIR)/merkle.c \
		$(addprefix $(RUMORD_QUORUM_DIR)/,ring.h merkle.h version.h le.h) \
		selftests/lib/ktap.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -I$(RUMORD_QUORUM_DIR) -o $@ $< \
		$(RUMORD_QUORUM_DIR)/ring.c $(RUMORD_QUORUM_DIR)/merkle.c -lxxhash

$(BUILD)/selftests/unit/test_hints: selftests/unit/test_hints.c \
		$(addprefix $(RUMORD_QUORUM_DIR)/,hints.c mdb.c version.c) \
		$(addprefix $(RUMORD_QUORUM_DIR)/,hints.h mdb.h ring.h version.h le.h) \
		selftests/lib/ktap.h selftests/lib/scratch.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -I$(RUMORD_QUORUM_DIR) -o $@ $< \
		$(addprefix $(RUMORD_QUORUM_DIR)/,hints.c mdb.c version.c) \
		$(RUMORD_QUORUM_LIBS)

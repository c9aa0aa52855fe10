# SPDX-License-Identifier: GPL-2.0
#
# Cluster membership for consistency levels (members.c): the heartbeat
# every rumord broadcasts through rumor.ko, and the table of members UP
# and DOWN that the hash ring (ring.c) and hinted handoff (hints.c) are
# follow. Its unit test runs under ASan and UBSan like the others.
# The top Makefile includes it (its -include userspace/rumord/*.mk) and
# lends it its variables and rules. rumord.mk links members.c into the
# daemon (members.c needs ring.h's types, not ring.c).

RUMORD_MEMBERS_DIR	:= userspace/rumord
RUMORD_MEMBERS_SRCS	:= $(RUMORD_MEMBERS_DIR)/members.c
RUMORD_MEMBERS_OBJS	:= $(RUMORD_MEMBERS_SRCS:%.c=$(BUILD)/%.o)
RUMORD_MEMBERS_HDRS	:= $(addprefix $(RUMORD_MEMBERS_DIR)/,members.h ring.h le.h)

RUMORD_MEMBERS_TESTS	:= $(BUILD)/selftests/unit/test_members
UNIT_TESTS		+= $(RUMORD_MEMBERS_TESTS)

tests: $(RUMORD_MEMBERS_TESTS)

# An explicit rule, so it wins over the core's pattern rule for
# $(BUILD)/selftests/unit/%. The test feeds the export to a real ring
# (ring.c, XXH3), as the daemon will.
$(BUILD)/selftests/unit/test_members: selftests/unit/test_members.c \
		$(RUMORD_MEMBERS_SRCS) $(RUMORD_MEMBERS_DIR)/ring.c \
		$(RUMORD_MEMBERS_HDRS) selftests/lib/ktap.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -I$(RUMORD_MEMBERS_DIR) -o $@ $< \
		$(RUMORD_MEMBERS_SRCS) $(RUMORD_MEMBERS_DIR)/ring.c -lxxhash

# SPDX-License-Identifier: GPL-2.0
#
# rumord, the key/value daemon (docs/rumord.md), and its store's unit test.
# Included by the top Makefile, whose variables and rules it uses.
#
# rumord links the anti-entropy core that userspace/rumord/sync.mk names
# in RUMORD_SYNC_SRCS and RUMORD_SYNC_OBJS (version, hlc, bvv, merkle,
# sync). That file sorts after this one, so those variables are read at
# the second expansion of the prerequisites, once every makefile is read.

RUMORD		:= $(BUILD)/rumord
RUMORD_SRCS	:= $(addprefix userspace/rumord/,main.c client.c client_proto.c session.c \
			genl.c gossip.c log.c repair.c store.c mdb.c \
			cluster.c members.c ring.c rpc.c rpc_proto.c handoff.c \
			hints.c quorum.c)
RUMORD_OBJS	:= $(RUMORD_SRCS:%.c=$(BUILD)/%.o)
RUMORD_LIBS	:= $(shell pkg-config --libs libmnl 2>/dev/null || echo -lmnl) \
		   -llmdb -lxxhash

# The store and the LMDB plumbing it shares with the hints (mdb.c).
RUMORD_STORE_SRCS := $(addprefix userspace/rumord/,store.c mdb.c)

# What the store's test needs of the core: all of it, and the in-memory
# replica to compare with and to run sessions against.
RUMORD_STORE_DEPS = $(RUMORD_SYNC_SRCS) userspace/rumord/memreplica.c

.SECONDEXPANSION:

ifneq ($(wildcard userspace/rumord/sync.mk),)
userspace: $(RUMORD)
RUMORD_CORE := yes
else
$(warning rumord is not built: userspace/rumord/sync.mk (the anti-entropy core) is missing)
endif

$(RUMORD): $(RUMORD_OBJS) $$(RUMORD_SYNC_OBJS)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(RUMORD_LIBS)

# rumorctl kv speaks the client protocol through the same code.
$(BUILD)/rumorctl: $(BUILD)/userspace/rumord/client_proto.o

# The store alone, under the sanitizers like every unit test; this
# explicit rule takes precedence over the unit tests' pattern rule.
# Without the core the test cannot be built: it becomes a KTAP skip.
ifdef RUMORD_CORE
$(BUILD)/selftests/unit/test_store: selftests/unit/test_store.c \
		$(RUMORD_STORE_SRCS) $$(RUMORD_STORE_DEPS) \
		$(wildcard userspace/rumord/*.h selftests/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Iuserspace/rumord -o $@ $< $(RUMORD_STORE_SRCS) \
		$(RUMORD_STORE_DEPS) -llmdb -lxxhash
else
$(BUILD)/selftests/unit/test_store: selftests/unit/test_store.c
	@mkdir -p $(@D)
	printf '#!/bin/sh\necho "1..0 # SKIP the anti-entropy core (sync.mk) is not built"\nexit 4\n' >$@
	chmod +x $@
endif

# The broadcast and client codecs against hostile input, under the
# sanitizers: they need nothing of the core but its headers.
$(BUILD)/selftests/unit/test_rumord_wire: selftests/unit/test_rumord_wire.c \
		userspace/rumord/gossip.c userspace/rumord/client_proto.c \
		$(wildcard userspace/rumord/*.h selftests/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Iuserspace/rumord -o $@ $< userspace/rumord/gossip.c \
		userspace/rumord/client_proto.c -lxxhash

# The repair hook on a clock the test turns (it defines rumord_now_ms).
$(BUILD)/selftests/unit/test_repair: selftests/unit/test_repair.c \
		userspace/rumord/repair.c $$(RUMORD_SYNC_SRCS) \
		$(wildcard userspace/rumord/*.h selftests/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Iuserspace/rumord -o $@ $< userspace/rumord/repair.c \
		$(RUMORD_SYNC_SRCS) -lxxhash

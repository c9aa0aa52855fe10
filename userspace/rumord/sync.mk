# SPDX-License-Identifier: GPL-2.0
#
# rumord's repair: versions, the hybrid logical clock, bitmap version
# vectors, the Merkle tree and the anti-entropy session, their unit tests
# (under ASan and UBSan, like the core's) and `make bench-repair`.
# Included by the top Makefile, whose variables and rules it uses. The
# tests and the benchmark link the in-memory replica (memreplica.c); the
# daemon links RUMORD_SYNC_OBJS with its own store.

RUMORD_SYNC_DIR		:= userspace/rumord
RUMORD_SYNC_SRCS	:= $(addprefix $(RUMORD_SYNC_DIR)/,version.c hlc.c bvv.c merkle.c sync.c)
RUMORD_SYNC_OBJS	:= $(RUMORD_SYNC_SRCS:%.c=$(BUILD)/%.o)
RUMORD_SYNC_LIBS	:= -lxxhash
RUMORD_SYNC_HDRS	:= $(addprefix $(RUMORD_SYNC_DIR)/,version.h hlc.h bvv.h merkle.h \
			     replica.h sync.h memreplica.h)
RUMORD_MEM_SRCS		:= $(RUMORD_SYNC_SRCS) $(RUMORD_SYNC_DIR)/memreplica.c

RUMORD_SYNC_TESTS	:= $(addprefix $(BUILD)/selftests/unit/,test_bvv test_merkle \
			     test_sync test_sync_fuzz)
UNIT_TESTS		+= $(RUMORD_SYNC_TESTS)

tests: $(RUMORD_SYNC_TESTS)

# A static pattern rule is explicit, so it wins over the core's generic
# rule for $(BUILD)/selftests/unit/%.
$(RUMORD_SYNC_TESTS): $(BUILD)/selftests/unit/%: selftests/unit/%.c $(RUMORD_MEM_SRCS) \
		$(RUMORD_SYNC_HDRS) selftests/lib/ktap.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -I$(RUMORD_SYNC_DIR) -o $@ $< $(RUMORD_MEM_SRCS) $(RUMORD_SYNC_LIBS)

# Merkle walk, version vectors and a naive full exchange on 10^4 to 10^6
# keys: one JSON line per case (docs/repair.md).
BENCH_REPAIR := $(BUILD)/bench/repair-bench

$(BENCH_REPAIR): bench/repair_bench.c $(RUMORD_MEM_SRCS) $(RUMORD_SYNC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(filter-out -MMD -MP,$(USER_CFLAGS)) -I$(RUMORD_SYNC_DIR) -o $@ $< \
		$(RUMORD_MEM_SRCS) $(RUMORD_SYNC_LIBS)

.PHONY: bench-repair
bench-repair: $(BENCH_REPAIR)
	@$(BENCH_REPAIR)

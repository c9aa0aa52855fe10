# SPDX-License-Identifier: GPL-2.0
#
# rumor: `make` builds rumor.ko, the XDP program, rumorctl and the host
# tests. `make check` runs every test and `make demo` a five-node cluster;
# both install the Debian packages they need first (`make deps`).

BUILD	?= build
CC	?= gcc
CLANG	?= clang
BPFTOOL	?= bpftool
PREFIX	?= /usr/local
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

# The kernel to build against: the running one when it has a build tree,
# otherwise the newest Debian linux-headers tree under /usr/src.
ifeq ($(origin KDIR),undefined)
KDIR := $(shell scripts/kdir.sh)
endif
KVER := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)

VERSION	:= 0.1.0
CFLAGS	?= -O2 -g
USER_CFLAGS := $(CFLAGS) -std=gnu11 -Wall -Wextra $(if $(WERROR),-Werror) \
	-DRUMOR_VERSION=\"$(VERSION)\" -MMD -MP -Iinclude/uapi -Icore -I$(BUILD) $(shell pkg-config --cflags libbpf libmnl 2>/dev/null)
USER_LIBS := $(shell pkg-config --libs libbpf libmnl zlib 2>/dev/null || echo -lbpf -lelf -lz -lmnl)

BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Wextra $(if $(WERROR),-Werror) \
	-I/usr/include/$(MULTIARCH) -Iinclude/uapi -Icore -Ibpf

CORE_SRCS	:= $(wildcard core/*.c)
RUMORCTL_SRCS	:= $(wildcard userspace/rumorctl/*.c)
RUMORCTL_OBJS	:= $(RUMORCTL_SRCS:%.c=$(BUILD)/%.o)
SIM_SRCS	:= $(wildcard userspace/sim/*.c)
SIMNET_SRCS	:= userspace/sim/simnet.c
UNIT_TESTS	:= $(patsubst %.c,$(BUILD)/%,$(wildcard selftests/unit/*.c))
XDP_TESTS	:= $(patsubst %.c,$(BUILD)/%,$(wildcard selftests/xdp/*.c))
XDP_SKEL	:= $(BUILD)/bpf/rumor_xdp.skel.h

.PHONY: all module userspace bpf tests check check-run demo demo-run deps bench-sim \
	bench-xdp deps-bench \
	install module-install dkms-install clean
.DELETE_ON_ERROR:

all: module userspace tests

module:
	@test -n "$(KDIR)" || { echo "no kernel build tree: run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

bpf: $(XDP_SKEL)
userspace: $(BUILD)/rumorctl $(BUILD)/rumor-sim
tests: $(UNIT_TESTS) $(XDP_TESTS)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h core/*.h include/uapi/linux/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@

$(BUILD)/%.o: %.c | $(XDP_SKEL)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/rumorctl: $(RUMORCTL_OBJS) $(BUILD)/core/wire.o
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

# The simulator: the protocol core on simnet's simulated network.
$(BUILD)/rumor-sim: $(SIM_SRCS) $(CORE_SRCS) $(wildcard core/*.h userspace/sim/*.h)
	@mkdir -p $(@D)
	$(CC) $(filter-out -MMD -MP,$(USER_CFLAGS)) -Iuserspace/sim -o $@ $(SIM_SRCS) $(CORE_SRCS) -lm

# Unit tests compile the core (and simnet) themselves, under the sanitizers.
UNIT_CFLAGS := $(filter-out -MMD -MP,$(USER_CFLAGS)) -Iuserspace/sim -pthread \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

$(BUILD)/selftests/unit/%: selftests/unit/%.c $(CORE_SRCS) $(SIMNET_SRCS) \
		$(wildcard core/*.h selftests/lib/*.h userspace/sim/*.h)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_SRCS) $(SIMNET_SRCS) -lm

$(BUILD)/selftests/xdp/%: $(BUILD)/selftests/xdp/%.o $(BUILD)/selftests/lib/frame.o \
		$(BUILD)/core/wire.o
	$(CC) $(USER_CFLAGS) -pthread -o $@ $^ $(USER_LIBS)

# Benchmarks: programs that print one JSON line per case (bench/).
BENCH_XDP := $(BUILD)/bench/xdp-bench

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c $(wildcard bpf/*.bpf.c bpf/*.h core/*.h include/uapi/linux/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@

$(BUILD)/bench/xdp_bench.o: $(BUILD)/bench/xdp_bench.skel.h

$(BENCH_XDP): $(BUILD)/bench/xdp_bench.o $(BUILD)/selftests/lib/frame.o $(BUILD)/core/wire.o
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

-include bench/*.mk
-include userspace/rumord/*.mk

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

deps:
	@scripts/install-deps.sh

check: deps
	@$(MAKE) --no-print-directory all WERROR=1
	@$(MAKE) --no-print-directory check-run

check-run:
	@KDIR=$(KDIR) KVER=$(KVER) BUILD=$(BUILD) selftests/run_tests.sh

# The XDP fast path against a baseline, case by case; then duplicates
# dropped per second on a veth pair, XDP against a userspace receiver.
bench-xdp: deps-bench $(BENCH_XDP) $(BENCH_VETH)
	@$(BENCH_XDP)
	@$(BENCH_VETH)

deps-bench:
	@$(MAKE) --no-print-directory deps

# The Plumtree and HyParView papers' experiment on 10,000 simulated nodes.
bench-sim: $(BUILD)/rumor-sim
	@$(BUILD)/rumor-sim --bench

demo: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory demo-run

demo-run:
	@KDIR=$(KDIR) KVER=$(KVER) BUILD=$(BUILD) scripts/demo.sh

install: userspace
	install -D -m 0755 $(BUILD)/rumorctl $(DESTDIR)$(PREFIX)/sbin/rumorctl
	install -D -m 0755 $(BUILD)/rumord $(DESTDIR)$(PREFIX)/sbin/rumord

module-install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

dkms-install:
	scripts/dkms-install.sh

clean:
	-$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(CURDIR) clean)
	rm -rf $(BUILD)

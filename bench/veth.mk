# SPDX-License-Identifier: GPL-2.0
#
# The veth benchmark of the XDP fast path (bench/veth_bench.c): rumor_xdp
# against a userspace receiver on a veth pair, fed by xdp_trafficgen.
# Included by the top Makefile, whose variables and rules it uses. Explicit
# rules, not patterns, so that other bench/*.mk files cannot clash.

BENCH_VETH		:= $(BUILD)/bench/veth-bench
BENCH_VETH_GEN_SKEL	:= $(BUILD)/bench/xdp_trafficgen.skel.h

$(BUILD)/bench/xdp_trafficgen.bpf.o: bench/xdp_trafficgen.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH_VETH_GEN_SKEL): $(BUILD)/bench/xdp_trafficgen.bpf.o
	$(BPFTOOL) gen skeleton $< name xdp_trafficgen > $@

# Compiled by the pattern rule $(BUILD)/%.o, once the sender's skeleton exists.
$(BUILD)/bench/veth_bench.o: $(BENCH_VETH_GEN_SKEL)

$(BENCH_VETH): $(BUILD)/bench/veth_bench.o $(BUILD)/selftests/lib/frame.o \
		$(BUILD)/core/wire.o
	$(CC) $(USER_CFLAGS) -pthread -o $@ $^ $(USER_LIBS)

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Broadcasts over static peers, with rumor.ko and XDP on every node.
#
#   line, IPv4:
#     n1 10.0.1.1 ---- 10.0.1.2 n2 10.0.2.1 ---- 10.0.2.2 n3
#
#   ring, IPv6 (link i joins r<i> fd00:<i>::1 and r<i+1> fd00:<i>::2,
#   see ring_add in lib.sh):
#          r1
#        /    \
#      r5      r2
#       |      |
#      r4 ---- r3
#
# A broadcast from any node is delivered exactly once on every other node
# and never on its sender; on the ring the copies meeting head-on are
# dropped by XDP.

source "$(dirname "$0")/lib.sh"

LINE="n1 n2 n3"
RING="r1 r2 r3 r4 r5"

setup_line() {
	local n
	for n in $LINE; do node_add "$n"; done
	link_add n1 e12 10.0.1.1 n2 e21 10.0.1.2 24
	link_add n2 e23 10.0.2.1 n3 e32 10.0.2.2 24
	for n in $LINE; do rctl "$n" up; done
	rctl n1 peer add 10.0.1.2
	rctl n2 peer add 10.0.1.1
	rctl n2 peer add 10.0.2.2:7866
	rctl n3 peer add 10.0.2.1
	rctl n1 xdp attach dev e12
	rctl n2 xdp attach dev e21
	rctl n2 xdp attach dev e23
	rctl n3 xdp attach dev e32
}

setup_ring() {
	ring_add r 5 ipv6
}

# broadcast_and_check "NODES" ROUNDS: every node broadcasts ROUNDS
# messages; each must arrive exactly once everywhere else.
broadcast_and_check() {
	local nodes=$1 rounds=$2 n m r want count dups
	local total=$(( $(wc -w <<<"$nodes") ))
	want=$(( (total - 1) * rounds ))

	for n in $nodes; do monitor_start "$n"; done
	for r in $(seq 1 "$rounds"); do
		for n in $nodes; do rctl "$n" broadcast "from-$n-$r" >/dev/null; done
	done
	for n in $nodes; do
		wait_for 20 test "$(delivery_count "$n")" -ge "$want" ||
			fail "$n delivered $(delivery_count "$n") of $want"
	done
	quiesce $nodes
	for n in $nodes; do monitor_stop "$n"; done

	for n in $nodes; do
		count=$(delivery_count "$n")
		expect_eq "deliveries on $n" "$count" "$want"
		dups=$(deliveries "$n" | awk '{print $3}' | sort | uniq -d | wc -l)
		expect_eq "payloads delivered twice on $n" "$dups" 0
		! deliveries "$n" | grep -q " from-$n-" ||
			fail "$n delivered its own broadcast"
		for m in $nodes; do
			[ "$m" = "$n" ] && continue
			for r in $(seq 1 "$rounds"); do
				deliveries "$n" | grep -q " from-$m-$r$" ||
					fail "$n missed from-$m-$r"
			done
		done
	done
}

test_line_exactly_once() {
	broadcast_and_check "$LINE" 3
}

# n1's message reaches n3 through n2: one hop, from n2's address.
test_line_hops_and_sender() {
	monitor_start n3
	rctl n1 broadcast hops-probe >/dev/null
	wait_for 10 test "$(delivery_count n3)" -ge 1
	monitor_stop n3
	expect_eq "hops" "$(jq -r 'select(.payload == "hops-probe") | .hops' <"$TMP/deliver.n3")" 1
	expect_eq "from" "$(jq -r 'select(.payload == "hops-probe") | .from' <"$TMP/deliver.n3")" "10.0.2.1:7866"
}

test_line_show() {
	local js
	js=$(rctl n2 -j show)
	expect_eq "state" "$(jq -r .state <<<"$js")" up
	expect_eq "num_peers" "$(jq -r .num_peers <<<"$js")" 2
	expect_eq "peer addresses" "$(jq -r '.peers[].addr' <<<"$js" | sort | tr '\n' ' ')" \
		"10.0.1.1:7866 10.0.2.2:7866 "
	expect_gt "n2 tx to n3" "$(jq -r '.peers[] | select(.addr == "10.0.2.2:7866") | .stats.tx_messages' <<<"$js")" 0
	expect_gt "n2 forwarded" "$(jq -r .stats.forwarded <<<"$js")" 0
	rctl n2 show | grep -q "^rumor: up$"
	rctl n2 show peers | grep -q "10.0.1.1:7866"
}

test_ring_exactly_once() {
	broadcast_and_check "$RING" 2
}

# Each broadcast goes both ways round the ring; the copies meet and the
# second to arrive is dropped by XDP before the module sees it.
test_ring_xdp_drops_duplicates() {
	local n xdp_dups=0 passed=0
	for n in $RING; do
		xdp_dups=$((xdp_dups + $(xdp_stat "$n" gossip_duplicate)))
		passed=$((passed + $(xdp_stat "$n" gossip_passed)))
	done
	diag "XDP on the ring: $passed first copies passed, $xdp_dups duplicates dropped"
	expect_gt "XDP duplicates dropped on the ring" "$xdp_dups" 0
}

test_ring_module_counters() {
	local n delivered=0 broadcasts=0
	for n in $RING; do
		delivered=$((delivered + $(stat "$n" delivered)))
		broadcasts=$((broadcasts + $(stat "$n" broadcasts)))
	done
	# Every broadcast is delivered once by each of the four other nodes.
	expect_eq "broadcasts" "$broadcasts" 10
	expect_eq "deliveries" "$delivered" 40
}

require_root
ktap_header 10
run_test module_load load_module
run_test line_setup setup_line
run_test line_exactly_once test_line_exactly_once
run_test line_hops_and_sender test_line_hops_and_sender
run_test line_show test_line_show
run_test ring_setup setup_ring
run_test ring_exactly_once test_ring_exactly_once
run_test ring_xdp_drops_duplicates test_ring_xdp_drops_duplicates
run_test ring_module_counters test_ring_module_counters
teardown_nodes
run_test module_unload unload_module
ktap_finish

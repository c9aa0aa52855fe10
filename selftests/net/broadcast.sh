#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Broadcasts over a HyParView overlay built on routed topologies, with
# rumor.ko and XDP on every node.
#
#   line, IPv4 (n2 routes between its links):
#     n1 10.0.1.1 ---- 10.0.1.2 n2 10.0.2.1 ---- 10.0.2.2 n3
#
#   ring, IPv6 (link i joins r<i> fd00:<i>::1 and r<i+1> fd00:<i>::2;
#   every node forwards, see ring_add in lib.sh):
#          r1
#        /    \
#      r5      r2
#       |      |
#      r4 ---- r3
#
# Nodes join through one contact; the overlay links any two nodes that can
# reach each other, whatever the wires. A broadcast from any node is
# delivered exactly once on every other node and never on its sender.

source "$(dirname "$0")/lib.sh"

LINE="n1 n2 n3"
RING="r1 r2 r3 r4 r5"

setup_line() {
	local n
	for n in $LINE; do node_add "$n"; done
	link_add n1 e12 10.0.1.1 n2 e21 10.0.1.2 24
	link_add n2 e23 10.0.2.1 n3 e32 10.0.2.2 24
	node n2 sysctl -qw net.ipv4.ip_forward=1
	ip -n "$(nsname n1)" route add 10.0.2.0/24 via 10.0.1.2
	ip -n "$(nsname n3)" route add 10.0.1.0/24 via 10.0.2.1
	for n in $LINE; do rctl "$n" up $FAST; done
	rctl n1 xdp attach dev e12
	rctl n2 xdp attach dev e21
	rctl n2 xdp attach dev e23
	rctl n3 xdp attach dev e32
	rctl n1 join 10.0.1.2
	rctl n3 join 10.0.2.1:7866
	converged 20 $LINE
}

setup_ring() {
	ring_add r 5 ipv6
	converged 30 $RING
}

# broadcast_and_check "NODES" ROUNDS: every node broadcasts ROUNDS
# messages; each must arrive exactly once everywhere else.
broadcast_and_check() {
	local nodes=$1 rounds=$2 n r
	for n in $nodes; do monitor_start "$n"; done
	for r in $(seq 1 "$rounds"); do
		for n in $nodes; do rctl "$n" broadcast "$n-$r" >/dev/null; done
	done
	quiesce $nodes
	for n in $nodes; do monitor_stop "$n"; done
	check_deliveries $(( $(wc -w <<<"$nodes") * rounds )) $nodes
}

test_line_exactly_once() {
	broadcast_and_check "$LINE" 3
}

# The message reaches n3 from one of its neighbours in the overlay.
test_line_hops_and_sender() {
	local from
	monitor_start n3
	rctl n1 broadcast hops-probe >/dev/null
	wait_for 10 at_least 1 delivery_count n3
	monitor_stop n3
	from=$(jq -r 'select(.payload == "hops-probe") | .from' <"$TMP/deliver.n3")
	case $from in 10.0.1.1:7866|10.0.2.1:7866) ;; *) fail "from $from" ;; esac
	expect_eq "hops" "$(jq -r 'select(.payload == "hops-probe") | .hops' <"$TMP/deliver.n3")" \
		"$([ "$from" = 10.0.1.1:7866 ] && echo 0 || echo 1)"
}

test_line_show() {
	local js
	js=$(rctl n2 -j show)
	expect_eq "state" "$(jq -r .state <<<"$js")" up
	expect_eq "num_active" "$(jq -r .num_active <<<"$js")" 2
	expect_eq "active view" "$(jq -r '.active[].addr' <<<"$js" | sort | tr '\n' ' ')" \
		"10.0.1.1:7866 10.0.2.2:7866 "
	expect_gt "gossip sent by n2" "$(jq -r .stats.tx_gossip <<<"$js")" 0
	expect_gt "memory held" "$(jq -r .mem_bytes <<<"$js")" 0
	rctl n2 show | grep -q "^rumor: up$"
	rctl n2 show peers | grep -q "10.0.1.1:7866"
	rctl n2 show config | grep -q "ping-interval *500 ms"
	rctl n2 tree --dot | grep -q "^graph rumor {"
}

test_ring_exactly_once() {
	broadcast_and_check "$RING" 2
}

# The first broadcasts over a fresh overlay meet copies head-on: XDP knows
# them for duplicates (dropping them, or passing one per origin and interval
# as a notice so that Plumtree prunes the link). The ring is routed: nodes
# also forward datagrams between their neighbours, which XDP leaves alone
# (judging them dropped messages before XDP knew its node's addresses).
test_ring_xdp_sees_duplicates() {
	local n dups=0 notices=0 passed=0 transit=0
	for n in $RING; do
		dups=$((dups + $(xdp_stat "$n" gossip_duplicate)))
		notices=$((notices + $(xdp_stat "$n" gossip_dup_notice)))
		passed=$((passed + $(xdp_stat "$n" gossip_passed)))
		transit=$((transit + $(xdp_stat "$n" transit_passed)))
	done
	diag "XDP on the ring: $passed first copies passed, $dups duplicates dropped, $notices passed as notices, $transit routed for others"
	expect_gt "duplicates XDP recognised on the ring" $((dups + notices)) 0
	expect_gt "datagrams XDP passed in transit" "$transit" 0
}

test_ring_module_counters() {
	local delivered broadcasts
	delivered=$(sum_stat delivered $RING)
	broadcasts=$(sum_stat broadcasts $RING)
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
run_test ring_xdp_sees_duplicates test_ring_xdp_sees_duplicates
run_test ring_module_counters test_ring_module_counters
teardown_nodes
run_test module_unload unload_module
ktap_finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Broken datagrams are counted by reason and never delivered: by XDP when
# it is attached, by the module when it is not. Well-formed messages from a
# node outside the active view are data (delivered) but cannot steer.
#
#   a 10.0.1.1 (rumor, monitored) ---- 10.0.1.2 b (rumor; also sends
#                                                  crafted datagrams)

source "$(dirname "$0")/lib.sh"

SEND=$REPO/selftests/net/rumor_send.py
KINDS="truncated bad_magic bad_version bad_flags bad_type bad_length bad_body"

setup() {
	node_add a
	node_add b
	link_add a ea 10.0.1.1 b eb 10.0.1.2 24
	rctl a up $FAST
	rctl b up $FAST
	rctl b join 10.0.1.1
	converged 10 a b >/dev/null
}

# The XDP counter and the module counter for each reason.
xdp_field() { echo "malformed_$1"; }
module_field() { echo "rx_$1"; }

# send_all: every kind of broken datagram, three of each, from b to a.
send_all() {
	local kind seq=100
	for kind in $KINDS; do
		node b "$SEND" "$kind" 10.0.1.1 --seq $seq --count 3
		seq=$((seq + 10))
	done
}

test_xdp_drops_malformed() {
	local kind
	rctl a xdp attach dev ea
	monitor_start a
	send_all
	sleep 1
	for kind in $KINDS; do
		expect_eq "XDP $kind" "$(xdp_stat a "$(xdp_field "$kind")")" 3
		expect_eq "module $kind" "$(stat a "$(module_field "$kind")")" 0
	done
	monitor_stop a
	expect_eq "deliveries" "$(delivery_count a)" 0
}

test_module_drops_malformed() {
	local kind
	rctl a xdp detach dev ea
	monitor_start a
	send_all
	sleep 1
	for kind in $KINDS; do
		expect_eq "module $kind" "$(stat a "$(module_field "$kind")")" 3
	done
	monitor_stop a
	expect_eq "deliveries" "$(delivery_count a)" 0
}

# Ten origins through tables bounded at four. The module's least recently
# used windows go; XDP's origins that keep broadcasting keep theirs, and
# the rest pass unjudged (or take the way of one idle for a second).
test_origin_tables_bounded() {
	local passed unjudged evicted
	rctl a down
	rctl a up $FAST max-origins 4
	rctl a xdp attach dev ea max-origins 4 >/dev/null
	for o in $(seq 1 10); do
		node b "$SEND" valid 10.0.1.1 --origin $((0x1000 + o))
	done
	wait_for 10 at_least 10 stat a delivered ||
		fail "delivered $(stat a delivered) of 10"
	expect_eq "module origins" "$(rctl a -j show | jq .origins)" 4
	expect_eq "module origins_evicted" "$(stat a origins_evicted)" 6
	passed=$(xdp_stat a gossip_passed)
	unjudged=$(xdp_stat a gossip_no_window)
	evicted=$(xdp_stat a origins_evicted)
	diag "XDP: $passed judged new, $unjudged passed unjudged, $evicted windows reused"
	expect_eq "XDP windows" "$(xdp_stat a origins)" 4
	expect_eq "XDP max_origins" "$(xdp_stat a max_origins)" 4
	expect_eq "XDP passed + unjudged" $((passed + unjudged)) 10
	expect_eq "XDP passed" "$passed" $((4 + evicted))
	rctl a xdp detach dev ea >/dev/null
	rctl a down
	rctl a up $FAST
	rctl b join 10.0.1.1
	converged 10 a b >/dev/null
}

# A stranger's GOSSIP is data and is delivered; its IHAVE cannot make us
# wait for (or GRAFT) anything.
test_stranger_cannot_steer() {
	local before
	monitor_start a
	node b "$SEND" valid 10.0.1.1 --sport 9999 --origin 0x5717 --payload stranger
	wait_for 5 at_least 1 delivery_count a
	before=$(stat a rx_stranger)
	node b "$SEND" stranger_ihave 10.0.1.1 --sport 9999 --origin 0x5718
	wait_for 5 at_least $((before + 1)) stat a rx_stranger
	monitor_stop a
	expect_eq "payload" "$(deliveries a | awk '{print $3}')" stranger
	expect_eq "tx_graft" "$(stat a tx_graft)" 0
}

# The positive control: the same path delivers a real broadcast.
test_peer_delivered() {
	monitor_start a
	rctl b broadcast control >/dev/null
	wait_for 10 at_least 1 delivery_count a
	monitor_stop a
	expect_eq "payload" "$(deliveries a | awk '{print $3}')" control
}

require_root
ktap_header 8
run_test module_load load_module
run_test setup setup
run_test xdp_drops_malformed test_xdp_drops_malformed
run_test module_drops_malformed test_module_drops_malformed
run_test origin_tables_bounded test_origin_tables_bounded
run_test stranger_cannot_steer test_stranger_cannot_steer
run_test peer_delivered test_peer_delivered
teardown_nodes
run_test module_unload unload_module
ktap_finish

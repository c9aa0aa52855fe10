#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A 16-node overlay on one bridge: HyParView views, Plumtree trees, healing
# after a quarter of the nodes die at once, and the bounds a hostile
# neighbour runs into.
#
#   h1 10.9.0.2 ---+
#   h2 10.9.0.3 ---+--- br0 (namespace h-br)
#   ...            |
#   h16 10.9.0.17 -+
#
# Every node runs rumor.ko's instance with XDP on eth0 and joins through h1.

source "$(dirname "$0")/lib.sh"

N=16
NODES=$(for i in $(seq 1 $N); do echo -n "h$i "; done)
VICTIMS="h4 h8 h12 h16"

setup() {
	bridge_add h $N
}

test_converges() {
	converged 30 $NODES
}

# Broadcasts from random nodes; each delivered exactly once everywhere.
broadcast_all() {
	local nodes=$1 count=$2 n i from
	for n in $nodes; do monitor_start "$n"; done
	for i in $(seq 1 "$count"); do
		from=$(shuf -n1 -e $nodes)
		rctl "$from" broadcast "$from-$i" >/dev/null
	done
	quiesce $nodes
	for n in $nodes; do monitor_stop "$n"; done
	check_deliveries "$count" $nodes
}

test_exactly_once() {
	broadcast_all "$NODES" 10
}

# Once the tree has formed, each message costs one payload per node.
test_steady_rmr() {
	local before after b=20 rmr
	before=$(sum_stat tx_gossip $NODES)
	for i in $(seq 1 $b); do
		rctl "$(shuf -n1 -e $NODES)" broadcast "steady-$i" >/dev/null
	done
	quiesce $NODES
	after=$(sum_stat tx_gossip $NODES)
	rmr=$(python3 -c "print('%.3f' % (($after - $before) / ($b * ($N - 1)) - 1))")
	diag "steady state: $((after - before)) payload messages for $b broadcasts to $((N - 1)) nodes: RMR $rmr"
	python3 -c "import sys; sys.exit(0 if $rmr <= 0.1 else 1)" ||
		fail "steady-state RMR $rmr above 0.1"
}

test_kill_quarter() {
	local n survivors watcher="" lost
	# A survivor with a victim in its active view reports the loss.
	for n in $NODES; do
		case " $VICTIMS " in *" $n "*) continue ;; esac
		lost=$(rctl "$n" -j show peers | jq -r '.active[].addr' |
		       grep -E '^10\.9\.0\.(5|9|13|17):' | head -n1 || true)
		if [ -n "$lost" ]; then
			watcher=$n
			break
		fi
	done
	[ -n "$watcher" ] || fail "no survivor had a victim as a neighbour"
	"$RUMORCTL" -n "$(nsname "$watcher")" -j monitor events ready "$TMP/events.ready" \
		>"$TMP/events" 2>&1 &
	wait_for 10 test -e "$TMP/events.ready"
	for n in $VICTIMS; do ip netns del "$(nsname "$n")"; done
	survivors=$(for n in $NODES; do case " $VICTIMS " in *" $n "*) ;; *) echo -n "$n " ;; esac; done)
	# Failures are noticed after fail-timeout (1.5 s); views refill after.
	converged 30 $survivors
	# The monitor writes what it hears a moment later, in its own time.
	wait_for 10 grep -q "\"neighbor_down\",\"addr\":\"$lost\"" "$TMP/events" ||
		fail "$watcher reported no neighbor_down for $lost"
	wait_for 10 grep -q '"neighbor_up"' "$TMP/events" ||
		fail "$watcher reported no replacement neighbour"
	diag "$watcher: $(grep -c neighbor_down "$TMP/events") down, $(grep -c neighbor_up "$TMP/events") up"
	broadcast_all "$survivors" 5
	for n in $survivors; do
		expect_eq "dead neighbours of $n" \
			"$(rctl "$n" -j show peers | jq -r '.active[].addr' |
			   grep -c -E '10\.9\.0\.(5|9|13|17):' || true)" 0
	done
}

# A neighbour that announces ids that never come, and asks for ids that do
# not exist: the tables stop at their bounds and memory stays flat.
test_hostile_neighbour() {
	local mem0 mem1 mem2 slab0 slab2
	slab0=$(awk '/^Slab:/ {print $2}' /proc/meminfo)
	mem0=$(rctl h1 -j show | jq .mem_bytes)
	node h2 "$REPO/selftests/net/rumor_send.py" flood_ihave 10.9.0.2 --count 200
	mem1=$(rctl h1 -j show | jq .mem_bytes)
	node h2 "$REPO/selftests/net/rumor_send.py" flood_ihave 10.9.0.2 --count 2000
	node h2 "$REPO/selftests/net/rumor_send.py" flood_graft 10.9.0.2 --count 2000
	mem2=$(rctl h1 -j show | jq .mem_bytes)
	slab2=$(awk '/^Slab:/ {print $2}' /proc/meminfo)
	diag "h1 memory: $mem0 before, $mem1 after 12,800 announced ids, $mem2 after 128,000 more and 2,000 GRAFTs; slab +$((slab2 - slab0)) kB"
	expect_gt "missing_full on h1" "$(stat h1 missing_full)" 0
	expect_gt "graft_unknown on h1" "$(stat h1 graft_unknown)" 1999
	# 1024 missing entries at most: about 128 kB, whatever the flood.
	[ $((mem2 - mem0)) -lt 200000 ] || fail "memory grew by $((mem2 - mem0)) bytes"
	[ $((mem2 - mem1)) -lt 50000 ] || fail "memory grew with the flood: $mem1 -> $mem2"
	[ $((slab2 - slab0)) -lt 16384 ] || fail "slab grew by $((slab2 - slab0)) kB"
}

require_root
ktap_header 8
run_test module_load load_module
run_test setup setup
run_test converges test_converges
run_test exactly_once test_exactly_once
run_test steady_rmr test_steady_rmr
run_test kill_quarter test_kill_quarter
run_test hostile_neighbour test_hostile_neighbour
teardown_nodes
run_test module_unload unload_module
ktap_finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A quick check of the simulator (build/rumor-sim) and of what it measures:
# a few hundred nodes, all three modes, two failure levels, asserted on its
# JSON lines. KTAP output; exit 0 (pass) or 1 (fail). Needs jq.
#
#   BUILD=build selftests/unit/test_sim.sh

set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
SIM=$BUILD/rumor-sim
# Each run takes about a second; a stuck one fails instead of hanging.
LIMIT=120
TMP=$(mktemp -d /tmp/rumor-test-sim.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

NODES=400
# Stable broadcasts 300 ms apart: one at a time, as in the papers (broadcasts
# that overlap make the shared tree's optimisation churn; docs/simulator.md).
# Deliveries of one can still overlap the next (up to a few hundred ms when
# one comes by GRAFT), so only a measurement by message id gets them right.
ARGS=(--json --nodes $NODES --mode all --broadcasts 10 --interval 300
      --fail 50,80 --after 5)

source "$REPO/selftests/lib/ktap.sh"

# q FILTER: jq over the main run's lines, compact, one value per line.
q() {
	jq -c "$1" "$TMP/run.json"
}

# expect WHAT FILTER: FILTER must yield exactly "true".
expect() {
	local got
	got=$(q "$2") || fail "$1: jq failed"
	[ "$got" = true ] || fail "$1 (got $(q "${3:-$2}" | head -c 400))"
}

# Broadcasts of one mode and failure level, as a jq array.
sel() {
	echo "[.[] | select(.type == \"broadcast\" and .mode == \"$1\" and .failed_pct == $2)]"
}

test_runs() {
	echo '[]' >"$TMP/run.json"	# what the other cases see if this fails
	[ -x "$SIM" ] || fail "$SIM is not built (make $SIM)"
	command -v jq >/dev/null || fail "jq is not installed"
	timeout $LIMIT "$SIM" "${ARGS[@]}" --seed 3 >"$TMP/raw" 2>"$TMP/err" ||
		fail "rumor-sim exited $?: $(cat "$TMP/err")"
	jq -s . "$TMP/raw" >"$TMP/run.json" || fail "output is not JSON lines"
	# 3 modes x (10 stable + 5 + 5 after failures), 3 x 3 runs.
	expect "60 broadcasts" '[.[] | select(.type == "broadcast")] | length == 60' \
		'[.[] | select(.type == "broadcast")] | length'
	expect "9 runs" '[.[] | select(.type == "run")] | length == 9' \
		'[.[] | select(.type == "run")] | length'
	expect "required fields" '[.[] | select(.type == "broadcast") |
		has("mode") and has("nodes") and has("failed_pct") and
		has("broadcast") and has("reliability") and has("rmr") and
		has("ldh")] | all'
	expect "run fields" '[.[] | select(.type == "run") | has("mode") and
		has("nodes") and has("wall_s") and has("bytes_per_node") and
		.bytes_per_node > 1000] | all'
}

test_stable_reliability() {
	local m
	for m in plumtree flood direct; do
		# Every live node but the origin, by message id, every broadcast.
		expect "$m stable: all $((NODES - 1)) delivered" \
			"$(sel $m 0) | length == 10 and all(.eligible == $((NODES - 1)) and
			 .delivered == .eligible and .receivers == .eligible and
			 .reliability == 1)" \
			"$(sel $m 0) | map([.eligible, .delivered, .reliability])"
	done
}

test_plumtree_rmr() {
	# The first broadcast floods every eager link and builds the tree.
	expect "plumtree first RMR > 2" "$(sel plumtree 0) | .[0].rmr > 2" \
		"$(sel plumtree 0) | .[0].rmr"
	# Then one GOSSIP per receiver, and never fewer.
	expect "plumtree stable RMR < 0.1" \
		"$(sel plumtree 0) | .[1:] | (map(.rmr) | add / length) < 0.1 and
		 all(.rmr >= 0)" "$(sel plumtree 0) | map(.rmr)"
	expect "plumtree sends IHAVEs" "$(sel plumtree 0) | .[1:] | all(.ihave_ids > 0)"
	expect "plumtree LDH > 1" "$(sel plumtree 0) | all(.ldh > 1)"
}

test_flood_rmr() {
	expect "flood RMR > 2" \
		"$(sel flood 0) | (map(.rmr) | add / length) > 2 and all(.rmr > 2)" \
		"$(sel flood 0) | map(.rmr)"
	expect "flood never prunes" "$(sel flood 0) | all(.ctl_prune == 0 and .ihave_ids == 0)"
}

test_direct() {
	local p
	for p in 0 50 80; do
		expect "direct at $p%: RMR 0, LDH 1, all delivered" \
			"$(sel direct $p) | length > 0 and all(.rmr == 0 and .ldh == 1 and
			 .gossip == .eligible and .delivered == .eligible)" \
			"$(sel direct $p) | map([.rmr, .ldh, .gossip, .eligible, .delivered])"
	done
}

test_failure_recovery() {
	local m
	expect "half killed" '[.[] | select(.type == "run" and .failed_pct == 50) |
		.killed == 200 and .live == 200] | all'
	expect "80% killed" '[.[] | select(.type == "run" and .failed_pct == 80) |
		.killed == 320 and .live == 80] | all'
	for m in plumtree flood; do
		expect "$m after 50%: the survivors are eligible" \
			"$(sel $m 50) | length == 5 and all(.live == 200 and .eligible == 199)"
		expect "$m after 50%: complete from the 3rd broadcast" \
			"$(sel $m 50) | .[2:] | all(.delivered == .eligible and .reliability == 1)" \
			"$(sel $m 50) | map(.reliability)"
	done
}

# The same seed gives the same figures, whether the failure levels run one
# after the other or at once; another seed gives others.
test_deterministic() {
	local strip='del(.wall_s, .build_s)'
	timeout $LIMIT "$SIM" "${ARGS[@]}" --seed 3 --jobs 2 | jq -c "$strip" >"$TMP/a" ||
		fail "run a"
	jq -c "$strip" "$TMP/raw" >"$TMP/b"
	cmp -s "$TMP/a" "$TMP/b" || fail "two runs with seed 3 differ: $(diff "$TMP/a" "$TMP/b" | head -4)"
	timeout $LIMIT "$SIM" "${ARGS[@]}" --seed 4 | jq -c "$strip" >"$TMP/c" ||
		fail "run c"
	! cmp -s "$TMP/a" "$TMP/c" || fail "seeds 3 and 4 gave the same run"
	# The seed picks the origins (and the victims) too.
	[ "$(jq -c 'select(.type == "broadcast") | .origin' "$TMP/a")" != \
	  "$(jq -c 'select(.type == "broadcast") | .origin' "$TMP/c")" ] ||
		fail "seeds 3 and 4 broadcast from the same origins"
}

test_table() {
	timeout $LIMIT "$SIM" --nodes 100 --broadcasts 3 --mode plumtree,flood \
		--fail 50 --after 3 >"$TMP/table" || fail "table run exited $?"
	grep -q '^plumtree *50 ' "$TMP/table" || fail "no plumtree 50% row: $(cat "$TMP/table")"
	grep -q '^flood *0 ' "$TMP/table" || fail "no flood row"
}

# bad ARGS...: exit 2 and exactly one line on stderr.
bad() {
	local rc=0
	timeout $LIMIT "$SIM" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
	[ $rc -eq 2 ] || fail "$*: exit $rc, expected 2"
	[ "$(wc -l <"$TMP/bad.err")" -eq 1 ] || fail "$*: stderr is not one line: $(cat "$TMP/bad.err")"
	[ ! -s "$TMP/bad.out" ] || fail "$*: wrote to stdout"
	echo "$* -> $(cat "$TMP/bad.err")"
}

test_bad_arguments() {
	bad --nodes 1
	bad --nodes 10x
	bad --mode gossip
	bad --latency 5:1
	bad --latency 5
	bad --fail 50,100
	bad --loss 1.5
	bad --fanout 300
	bad --no-such-option
	bad --seed
	bad extra
	bad --ping-ms 5000
}

echo "KTAP version 1"
echo "1..9"
ktap_case sim_runs test_runs
ktap_case sim_stable_reliability test_stable_reliability
ktap_case sim_plumtree_rmr test_plumtree_rmr
ktap_case sim_flood_rmr test_flood_rmr
ktap_case sim_direct test_direct
ktap_case sim_failure_recovery test_failure_recovery
ktap_case sim_deterministic test_deterministic
ktap_case sim_table test_table
ktap_case sim_bad_arguments test_bad_arguments
echo "# $((n - failed)) passed, $failed failed, 0 skipped"
[ $failed -eq 0 ] || exit 1
exit 0

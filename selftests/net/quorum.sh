#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Consistency levels with rumor.ko: five rumords on a bridge, their
# membership by heartbeats through the module, writes acknowledged by W
# replicas (sloppy quorums, --strict), reads of R replicas by digests with
# blocking read repair, and hinted handoff, durable and bounded.
#
#   q1 10.9.0.2 --+
#   ...           +--- br0 (namespace q-br)
#   q5 10.9.0.6 --+
#
# No rumord runs anti-entropy sessions (--repair-interval 0): what a case
# checks, the hint or the read repair alone must have done. q5 places
# keys on 2 replicas (--replicas 2), the others on 3. Every rumord keeps
# at most 64 KiB of hints per node (--hint-quota 64) and gives a replica
# a second to answer (--quorum-timeout 1).

source "$(dirname "$0")/lib.sh"

RUMORD=$BUILD/rumord
N=5
NODES=$(for i in $(seq 1 $N); do echo -n "q$i "; done)
RUMORD_OPTS="--repair-interval 0 --quorum-timeout 1 --hint-quota 64"
TIMEOUT_US=1000000
QUOTA=65536

source "$REPO/selftests/lib/rumord_net.sh"

# Node ids by name and names by id. Cases run in subshells: setup leaves
# them in $TMP/ids for each case to read.
declare -A ID NAME

load_ids() {
	local n id
	while read -r n id; do
		ID[$n]=$id
		NAME[$id]=$n
	done <"$TMP/ids"
}

spawn() {
	if [ "$1" = q5 ]; then rumord_spawn "$1" --replicas 2; else rumord_spawn "$1"; fi
}

# members_up NODE COUNT: NODE's rumord has heard COUNT members, all UP.
members_up() {
	local f
	f=$(rctl "$1" -j repair status | jq -r '"\(.members_up) \(.members_down)"') || return 1
	[ "$f" = "$2 0" ]
}

# state_of NODE OTHER: up or down, as NODE's membership has OTHER.
state_of() {
	rctl "$1" -j nodes | jq -r ".[] | select(.node == \"${ID[$2]}\") | .state"
}
is_state() { [ "$(state_of "$1" "$2")" = "$3" ]; }

# homes COORD KEY [N]: the key's preferred replicas, in order, by name.
homes() {
	local id
	for id in $(rctl "$1" -j kv where "$2" ${3:+--n "$3"} |
		    jq -r '.[] | select(.preferred) | .node'); do
		echo -n "${NAME[$id]} "
	done
}

# stand_in COORD KEY [N]: who stands in for a home that is down.
stand_in() {
	local id
	id=$(rctl "$1" -j kv where "$2" ${3:+--n "$3"} |
	     jq -r '.[] | select(.stand_in) | .node' | head -n1)
	[ -n "$id" ] && echo "${NAME[$id]}"
}

# hint_field NODE TARGET FIELD: of NODE's hints for TARGET (0: none).
hint_field() {
	rctl "$1" -j hints |
		jq -r "[.targets[] | select(.node == \"${ID[$2]}\") | .$3] | add // 0"
}
hints_for() { [ "$(hint_field "$1" "$2" count)" = "$3" ]; }

local_value() { rctl "$1" kv get "$2" 2>/dev/null; }
has_value() { [ "$(local_value "$1" "$2")" = "$3" ]; }

# pick KEYVAR PREFIX TEST COORD [N]: the first PREFIX/i whose homes
# (as COORD places them) pass TEST HOMES...; the homes in $HOMES.
pick() {
	local var=$1 prefix=$2 test=$3 coord=$4 n=${5:-} i
	for i in $(seq 1 200); do
		HOMES=$(homes "$coord" "$prefix/$i" $n)
		# shellcheck disable=SC2086
		if $test $HOMES; then
			printf -v "$var" %s "$prefix/$i"
			return 0
		fi
	done
	fail "no key among $prefix/1..200 whose homes pass $test"
}

setup() {
	local n id t0 t1
	[ -x "$RUMORD" ] || fail "$RUMORD is not built (make)"
	stamp t0
	bridge_add q $N
	for n in $NODES; do spawn "$n"; done
	converged 30 $NODES >/dev/null || fail "the overlay did not converge"
	for n in $NODES; do rumord_up "$n"; done
	for n in $NODES; do
		id=$(rctl "$n" -j nodes | jq -r '.[] | select(.self) | .node')
		[ -n "$id" ] || fail "$n: rumorctl nodes shows no self"
		echo "$n $id"
	done >"$TMP/ids"
	load_ids
	for n in $NODES; do
		wait_for 20 members_up "$n" $((N - 1)) ||
			fail "$n's membership: $(rctl "$n" -j repair status | jq -c '{members_up, members_down}')"
	done
	stamp t1
	diag "5 rumords up and each hearing the other 4 in $((t1 - t0)) ms"
}

# The book's Cassandra scenario (figure 12-6), step by step, through q1.
test_hinted_handoff_scenario() {
	local key r2 pid out t0 t1 t2 t3 t4 h
	load_ids
	# q1 coordinates and is none of the key's three replicas.
	not_q1() { [[ " $* " != *" q1 "* ]]; }
	pick key hh not_q1 q1
	read -ra h <<<"$HOMES"
	r2=${h[1]}
	diag "key $key: replicas $HOMES; replica_2 is $r2"
	read -r pid <"$TMP/pid.$r2"
	# t0: replica_2 is restarting: it does not answer.
	kill -STOP "$pid"
	stamp t0
	out=$(rctl q1 -j kv put "$key" v1 --w 2) || fail "put --w 2: $out"
	stamp t1
	# t1: answered once two replicas acked, before replica_2's timeout.
	expect_eq "acknowledgements" "$(jq -r .quorum.acked <<<"$out")" 2
	[ "$(jq -r .quorum.elapsed_us <<<"$out")" -lt $TIMEOUT_US ] ||
		fail "the answer waited for the timeout: $(jq -c .quorum <<<"$out")"
	expect_eq "hints when the client hears back" "$(hint_field q1 "$r2" count)" 0
	# t2: after the timeout the coordinator keeps a hint for replica_2.
	wait_for 5 hints_for q1 "$r2" 1 || fail "q1 keeps no hint for $r2: $(rctl q1 -j hints)"
	stamp t2
	expect_eq "q1 suspects $r2" "$(state_of q1 "$r2")" down
	# t3: replica_2 restarts; the broadcast it was sent died with it.
	kill -KILL "$pid"
	kill -CONT "$pid" 2>/dev/null || true
	wait_for 10 dead "$pid" || fail "$r2 did not die"
	spawn "$r2"
	rumord_up "$r2"
	stamp t3
	# t4: membership announces it, the coordinator replays the hint.
	wait_for 15 has_value "$r2" "$key" v1 ||
		fail "$r2 never got the hinted write: $(local_value "$r2" "$key")"
	stamp t4
	wait_for 5 hints_for q1 "$r2" 0 || fail "q1 still keeps the hint"
	grep -q "handoff to ${ID[$r2]}: 1 hints delivered" "$TMP/rumord.q1.log" ||
		fail "q1 logged no handoff to $r2"
	expect_eq "hints replayed by q1" "$(rctl q1 -j hints | jq -r .replayed)" 1
	diag "t1 answer $(((t1 - t0))) ms after the put ($(jq -r .quorum.elapsed_us <<<"$out") us in rumord); t2 hint kept $((t2 - t0)) ms; t3 $r2 restarted at $((t3 - t0)) ms; t4 it served the value at $((t4 - t0)) ms"
}

# W=2 through q5 (2 replicas a key) with one of the two down: a stand-in
# takes the write and a hint; --strict refuses the same write.
test_sloppy_quorum() {
	local key down s out rc=0 t0 t1 h
	load_ids
	not_q5() { [[ " $* " != *" q5 "* ]]; }
	pick key sq not_q5 q5 2
	read -ra h <<<"$HOMES"
	down=${h[0]}
	diag "key $key: replicas $HOMES (as q5 places it); $down goes down"
	rumord_stop "$down" KILL
	wait_for 10 is_state q5 "$down" down || fail "q5 still has $down up"
	out=$(rctl q5 -j kv put "$key" strict --w 2 --strict 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "put --w 2 --strict succeeded with $down down: $out"
	[[ $out == *"--strict needs 2"* ]] || fail "unexpected --strict error: $out"
	local_value q5 "$key" && fail "the refused strict write was stored"
	out=$(rctl q5 -j kv put "$key" sloppy --w 2) || fail "sloppy put: $out"
	expect_eq "acknowledgements" "$(jq -r .quorum.acked <<<"$out")" 2
	expect_eq "stand-ins" "$(jq -r .quorum.stand_ins <<<"$out")" 1
	s=$(stand_in q5 "$key" 2) || fail "kv where shows no stand-in for $down"
	wait_for 5 hints_for "$s" "$down" 1 || fail "$s keeps no hint for $down: $(rctl "$s" -j hints)"
	stamp t0
	spawn "$down"
	rumord_up "$down"
	wait_for 15 has_value "$down" "$key" sloppy ||
		fail "$down never got the write: $(local_value "$down" "$key")"
	stamp t1
	wait_for 5 hints_for "$s" "$down" 0 || fail "$s still keeps the hint"
	diag "$s stood in for $down; $down had the value by handoff $((t1 - t0)) ms after its rumord started"
}

# stale_read KEY STALE: "old" everywhere, then STALE's rumord down while
# "new" is written (broadcast only, no level), then back: q1's read of the
# key's 3 replicas answers "new" and has repaired STALE before it answers.
stale_read() {
	local key=$1 stale=$2 writer n out before after
	for writer in $NODES; do
		[[ " $HOMES " == *" $writer "* ]] || break
	done
	diag "key $key: replicas $HOMES; $stale goes stale; $writer writes"
	rctl "$writer" kv put "$key" old
	for n in $NODES; do
		wait_for 10 has_value "$n" "$key" old || fail "$n did not get the first value"
	done
	rumord_stop "$stale" KILL
	rctl "$writer" kv put "$key" new
	for n in $NODES; do
		[ "$n" = "$stale" ] && continue
		wait_for 10 has_value "$n" "$key" new || fail "$n did not get the second value"
	done
	spawn "$stale"
	rumord_up "$stale"
	wait_for 10 members_up q1 $((N - 1)) || fail "q1 does not see all up"
	wait_for 10 members_up "$stale" $((N - 1)) || fail "$stale does not see all up"
	expect_eq "$stale before the read" "$(local_value "$stale" "$key")" old
	before=$(rctl q1 -j repair status | jq -r .read_repairs)
	out=$(rctl q1 -j kv get "$key" --r 3) || fail "get --r 3: $out"
	expect_eq "value read" "$(jq -r .value <<<"$out")" new
	expect_eq "digests compared" "$(jq -r .quorum.digests <<<"$out")" 2
	expect_eq "stale replicas" "$(jq -r .quorum.mismatches <<<"$out")" 1
	expect_eq "replicas repaired" "$(jq -r .quorum.repaired <<<"$out")" 1
	# Blocking: repaired before the answer, not after.
	expect_eq "$stale after the read" "$(local_value "$stale" "$key")" new
	after=$(rctl q1 -j repair status | jq -r .read_repairs)
	expect_eq "q1's read_repairs" "$after" $((before + 1))
	out=$(rctl q1 -j kv get "$key" --r 3) || fail "second get: $out"
	expect_eq "stale replicas at the second read" "$(jq -r .quorum.mismatches <<<"$out")" 0
}

# Digest reads through q1 with one replica stale: another replica, then q1
# itself (whose own copy, read first, is not the newest: the value comes
# from a replica that has it).
test_digest_read_repair() {
	local key h
	load_ids
	has_q1() { [[ " $* " == *" q1 "* ]]; }
	pick key rr has_q1 q1
	read -ra h <<<"$HOMES"
	if [ "${h[2]}" = q1 ]; then stale_read "$key" "${h[1]}"; else stale_read "$key" "${h[2]}"; fi
	pick key rs has_q1 q1
	stale_read "$key" q1
}

# A replica whose rumord has just died, before membership noticed: the
# connection is refused, the replica suspected at once, and a stand-in
# takes its place without waiting for the timeout.
test_refused_replica() {
	local key dead out h
	load_ids
	not_q1() { [[ " $* " != *" q1 "* ]]; }
	pick key rf not_q1 q1
	read -ra h <<<"$HOMES"
	dead=${h[0]}
	diag "key $key: replicas $HOMES; $dead's rumord is killed"
	rumord_stop "$dead" KILL
	is_state q1 "$dead" up || fail "q1 noticed $dead's death too soon for this case"
	out=$(rctl q1 -j kv put "$key" v --w 3) || fail "put --w 3: $out"
	expect_eq "acknowledgements" "$(jq -r .quorum.acked <<<"$out")" 3
	expect_eq "stand-ins" "$(jq -r .quorum.stand_ins <<<"$out")" 1
	expect_eq "timeouts" "$(jq -r .quorum.timeouts <<<"$out")" 0
	expect_eq "q1 suspects $dead" "$(state_of q1 "$dead")" down
	spawn "$dead"
	rumord_up "$dead"
	wait_for 15 has_value "$dead" "$key" v || fail "$dead never got the write"
	diag "answered in $(jq -r .quorum.elapsed_us <<<"$out") us through a stand-in"
}

# SIGTERM: rumord's last heartbeat says it is leaving, so the others take
# it DOWN at once rather than after 5 s of silence, and UP when it is back.
test_leave_and_return() {
	local t0 t1 t2
	load_ids
	rumord_stop q3 TERM
	stamp t0
	wait_for 3 is_state q1 q3 down || fail "q1 still has q3 up 3 s after its SIGTERM"
	stamp t1
	grep -q "member ${ID[q3]} at .*: left" "$TMP/rumord.q1.log" ||
		fail "q1 logged no leave of q3"
	spawn q3
	rumord_up q3
	wait_for 10 is_state q1 q3 up || fail "q1 does not see q3 back"
	stamp t2
	diag "q3 DOWN on q1 within $((t1 - t0)) ms of its exit (silence takes 5 s); UP again $((t2 - t1)) ms later"
}

# The median of the numbers in file $1.
median() { sort -n "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# live_writes COORD FILE KEYS...: put each at W=2; elapsed_us into FILE.
live_writes() {
	local coord=$1 file=$2 key out
	shift 2
	: >"$file"
	for key in "$@"; do
		out=$(rctl "$coord" -j kv put "$key" x --w 2) || fail "put $key: $out"
		[ "$(jq -r '.quorum.hints + .quorum.timeouts' <<<"$out")" = 0 ] ||
			fail "a write to live replicas made hints: $out"
		jq -r .quorum.elapsed_us <<<"$out" >>"$file"
	done
}

# A flood of writes for a node long dead: each holder of its hints keeps
# at most the quota, and writes to live replicas are not slowed by more
# than 3x (docs/rumord.md) once the quotas are full.
test_hint_quota() {
	local dead=q4 n i key live=() doomed=() value out before after held dropped=0
	load_ids
	for i in $(seq 1 60); do
		HOMES=$(homes q1 "hq/$i")
		if [[ " $HOMES " == *" $dead "* ]]; then
			doomed+=("hq/$i")
		elif [ ${#live[@]} -lt 15 ]; then
			live+=("hq/$i")
		fi
	done
	[ ${#live[@]} -ge 10 ] && [ ${#doomed[@]} -ge 25 ] ||
		fail "keys: ${#live[@]} live, ${#doomed[@]} with $dead"
	live_writes q1 "$TMP/before" "${live[@]}"
	rumord_stop "$dead" KILL
	for n in q1 q2 q3 q5; do
		wait_for 10 is_state "$n" "$dead" down || fail "$n still has $dead up"
	done
	value=$(head -c 16000 /dev/zero | tr '\0' v)
	for key in "${doomed[@]}"; do
		out=$(rctl q1 -j kv put "$key" "$value" --w 1) || fail "put $key: $out"
	done
	for n in q1 q2 q3 q5; do
		held=$(hint_field "$n" "$dead" bytes)
		[ "$held" -le $QUOTA ] || fail "$n holds $held bytes of hints for $dead, quota $QUOTA"
		dropped=$((dropped + $(rctl "$n" -j hints | jq -r .dropped_quota)))
		diag "$n: $(hint_field "$n" "$dead" count) hints, $held bytes for $dead"
	done
	[ "$dropped" -gt 0 ] || fail "${#doomed[@]} writes of 16000 bytes fit the quotas"
	live_writes q1 "$TMP/after" "${live[@]}"
	before=$(median "$TMP/before")
	after=$(median "$TMP/after")
	diag "${#doomed[@]} writes for dead $dead, $dropped hints dropped over quota; live writes (W=2) median $before us before, $after us with the quotas full"
	[ "$after" -le $((3 * before + 2000)) ] ||
		fail "writes to live replicas slowed from $before to $after us"
	spawn "$dead"
	rumord_up "$dead"
}

require_root
ktap_header 9
run_test module_load load_module
run_test setup setup
run_test hinted_handoff_scenario test_hinted_handoff_scenario
run_test sloppy_quorum test_sloppy_quorum
run_test digest_read_repair test_digest_read_repair
run_test refused_replica test_refused_replica
run_test leave_and_return test_leave_and_return
run_test hint_quota test_hint_quota
rumord_stop_all
teardown_nodes
run_test module_unload unload_module
ktap_finish

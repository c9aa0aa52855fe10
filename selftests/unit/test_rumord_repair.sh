#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rumord's anti-entropy sessions on the host: three rumords in --no-module
# mode on loopback (no broadcast at all), each with the other two as
# --peer. Divergent writes, conflicting writes and deletes converge by the
# periodic sessions alone, to the last-writer-wins outcome on every node,
# and the tombstones are collected; with --repair-interval 0 nothing moves
# until `rumorctl repair now`, whose figures are checked; a rumord that
# starts catches up at once (the STARTUP repair request); peers that send
# garbage, stay silent or come in too many are closed while rumord goes on
# serving. KTAP output; exit 0 (pass) or 1 (fail). Needs python3 and jq.
#
#   BUILD=build selftests/unit/test_rumord_repair.sh

set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/rumor-test-repair.XXXXXX)
# Ports of our own, from this shell's pid, away from test_rumord.sh's.
BASE=$((40000 + $$ % 15000))

source "$REPO/selftests/lib/ktap.sh"
source "$REPO/selftests/lib/rumord.sh"

TESTS=(converge_by_sessions_alone interval_zero_needs_repair_now
       startup_request_served hostile_peers)

# Stop this case's rumords; when it failed, show the end of their logs.
after_case() {
	local f
	reap
	[ "$1" -eq 0 ] && return 0
	for f in "$TMP"/log.*; do
		[ -f "$f" ] && tail -5 "$f" | sed "s|^|# $(basename "$f"): |"
	done
	return 0
}

port() {
	echo $((BASE + $1))
}

# ctl NODE ARGS...: rumorctl against node NODE's rumord.
ctl() {
	local node=$1
	shift
	RUMORD_SOCKET=$TMP/$node.sock "$RUMORCTL" "$@"
}

# start NODE PEERS OPTIONS...: rumord NODE (1..) with --peer for each node
# number in PEERS ("2 3"), then the options; waits until it answers.
start() {
	local node=$1 peers=$2 args=() p i
	shift 2
	for p in $peers; do
		args+=(--peer "127.0.0.1:$(port "$p")")
	done
	"$RUMORD" --no-module --state "$TMP/state.$node" --socket "$TMP/$node.sock" \
		--listen "127.0.0.1:$(port "$node")" "${args[@]}" "$@" \
		>>"$TMP/log.$node" 2>&1 &
	echo $! >>"$TMP/pids"
	eval "PID$node=$!"
	for i in $(seq 100); do
		ctl "$node" kv list >/dev/null 2>&1 && return 0
		kill -0 "$!" 2>/dev/null || fail "rumord $node died: $(tail -3 "$TMP/log.$node")"
		sleep 0.05
	done
	fail "rumord $node did not come up"
}

# Every node's `kv list -j` is the same: 0, else 1.
same_lists() {
	local node first=
	for node in "$@"; do
		ctl "$node" -j kv list >"$TMP/list.$node" || return 1
		if [ -z "$first" ]; then
			first=$node
		elif ! cmp -s "$TMP/list.$first" "$TMP/list.$node"; then
			return 1
		fi
	done
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
	local secs=$1 i
	shift
	for i in $(seq $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# The writes in $TMP/writes (JSON lines of put -j and del -j, with the
# value put, or "deleted": true) decide each key last-writer-wins: higher
# timestamp, then higher node id. Prints what `kv list -j` must hold, as
# a sorted JSON object key -> value.
lww_expected() {
	python3 - "$TMP/writes" <<'EOF'
import json, sys
best = {}
for line in open(sys.argv[1]):
    w = json.loads(line)
    rank = (int(w['hlc']), int(w['node'], 16))
    if w['key'] not in best or rank > best[w['key']][0]:
        best[w['key']] = (rank, w)
out = {k: v[1]['value'] for k, v in best.items() if not v[1].get('deleted')}
print(json.dumps(out, sort_keys=True))
EOF
}

# A `kv list -j` as the same sorted key -> value object.
list_as_object() {
	python3 -c 'import json,sys; print(json.dumps({r["key"]: r["value"] for r in json.load(sys.stdin)}, sort_keys=True))' \
		<"$1"
}

# put NODE KEY VALUE / del NODE KEY, noting the version written.
put() {
	ctl "$1" -j kv put "$2" "$3" | jq -c --arg v "$3" '. + {value: $v}' >>"$TMP/writes"
}

del() {
	ctl "$1" -j kv del "$2" | jq -c '. + {deleted: true}' >>"$TMP/writes"
}

# status_is NODE JQ_FILTER: node NODE's `repair status -j` passes it.
# Where a session is still closing (its records are in, the last flight
# not yet), give it a moment: wait_for 3 status_is ...
status_is() {
	ctl "$1" -j repair status >"$TMP/status.$1" &&
		jq -e "$2" "$TMP/status.$1" >/dev/null
}

has_key() {
	ctl "$1" kv get "$2" >/dev/null 2>&1
}

all_collected() {
	local node got
	for node in 1 2 3; do
		got=$(ctl "$node" -j repair status | jq .gc_collected)
		[ "$got" -ge "$1" ] || return 1
	done
}

test_converge_by_sessions_alone() {
	local node k want got i
	[ -x "$RUMORD" ] || fail "$RUMORD is not built"
	: >"$TMP/writes"
	start 1 "2 3" --repair-interval 0.5
	start 2 "1 3" --repair-interval 0.5
	start 3 "1 2" --repair-interval 0.5
	# Different keys on each node.
	for node in 1 2 3; do
		for k in 1 2 3 4 5; do
			put "$node" "own/$node/$k" "value $node.$k"
		done
	done
	# Conflicting writes to the same keys, in turns.
	for i in 1 2; do
		for node in 1 2 3 2 1; do
			put "$node" "conflict/$i" "from node $node, round $i"
		done
	done
	# A delete of a key every node has by then, and a delete of a write
	# that never left its node.
	put 1 del/shared "to be deleted"
	wait_for 10 has_key 3 del/shared || fail "del/shared never reached node 3"
	wait_for 10 has_key 2 del/shared || fail "del/shared never reached node 2"
	del 2 del/shared
	put 3 del/local "gone before it travels"
	del 3 del/local
	# A delete racing an overwrite.
	put 1 del/race "before the race"
	del 2 del/race
	put 3 del/race "written in the race"

	wait_for 15 same_lists 1 2 3 || fail "the lists did not converge"
	want=$(lww_expected)
	got=$(list_as_object "$TMP/list.1")
	expect_eq "the converged store" "$got" "$want"
	echo "converged: $(jq length "$TMP/list.1") keys on every node"
	expect_eq "own keys" "$(jq '[.[] | select(.key | startswith("own/"))] | length' "$TMP/list.1")" 15
	for node in 1 2 3; do
		status_is "$node" '.ok > 0 and .started > 0 and .accepted > 0' ||
			fail "node $node status: $(jq -c 'del(.peers)' "$TMP/status.$node")"
		jq -e '[.peers[].total_keys_received] | add > 0' "$TMP/status.$node" >/dev/null ||
			fail "node $node received no key in any session"
		jq -e '[.peers[] | select(.known)] | length == 2' "$TMP/status.$node" >/dev/null ||
			fail "node $node does not know its two peers"
	done
	# Every node has two tombstones (del/shared, del/local), and each
	# peer's vector covers them: collection follows.
	wait_for 15 all_collected 2 || fail "tombstones not collected: $(for node in 1 2 3; do
		ctl "$node" -j repair status | jq -c '[.gc_runs, .gc_collected]'; done)"
	same_lists 1 2 3 || fail "the lists differ after collection"
	ctl 1 repair status
}

test_interval_zero_needs_repair_now() {
	local node k
	start 1 "2 3" --repair-interval 0
	start 2 "1 3" --repair-interval 0
	start 3 "1 2" --repair-interval 0
	for k in 1 2 3 4; do
		ctl 1 kv put "n1/$k" "one $k"
	done
	for k in 1 2 3; do
		ctl 2 kv put "n2/$k" "two $k"
	done
	ctl 3 kv put n3/1 "three 1"
	ctl 3 kv put n3/2 "three 2"
	sleep 2
	for node in 1 2 3; do
		expect_eq "keys on node $node before repair now" \
			"$(ctl "$node" kv list | wc -l)" "$((node == 1 ? 4 : node == 2 ? 3 : 2))"
		expect_eq "sessions on node $node" \
			"$(ctl "$node" -j repair status | jq -c '[.interval_ms, .started, .accepted]')" \
			"[0,0,0]"
	done
	root_of() { ctl "$1" -j repair status | jq -r '"\(.merkle_entries) \(.merkle_root)"'; }
	expect_eq "node 1's store" "$(root_of 1 | cut -d' ' -f1)" 4
	[ "$(root_of 1)" != "$(root_of 2)" ] || fail "different stores, same Merkle root"

	run 0 ctl 1 -j repair now "127.0.0.1:$(port 2)"
	echo "repair now: $OUT"
	expect_eq "first session" "$(echo "$OUT" | jq -c \
		'[.ok, .initiator, .method, .keys_sent, .keys_received, .keys_applied, .round_trips]')" \
		'[true,true,"auto",4,3,3,2]'
	echo "$OUT" | jq -e '.bytes_sent > .bytes_received and .bytes_received > 0 and
		.known and .vector and .error == ""' >/dev/null || fail "figures: $OUT"
	same_lists 1 2 || fail "nodes 1 and 2 differ after their session"
	run 0 ctl 1 -j repair now "127.0.0.1:$(port 2)"
	expect_eq "second session" "$(echo "$OUT" | jq -c \
		'[.ok, .keys_sent, .keys_received, .round_trips, .sessions, .total_keys_sent]')" \
		'[true,0,0,1,2,4]'
	run 0 ctl 1 repair now "127.0.0.1:$(port 2)"
	echo "$OUT"
	case $OUT in "session with 127.0.0.1:$(port 2): ours, auto: ok in "*) ;;
		*) fail "repair now output: $OUT" ;; esac
	expect_eq "keys on node 3 still" "$(ctl 3 kv list | wc -l)" 2
	run 0 ctl 3 -j repair now "127.0.0.1:$(port 1)"
	expect_eq "node 3 catching up" "$(echo "$OUT" | jq -c '[.keys_sent, .keys_received]')" '[2,7]'
	run 0 ctl 2 repair now "127.0.0.1:$(port 3)"
	same_lists 1 2 3 || fail "not converged after three sessions"
	expect_eq "keys" "$(jq length "$TMP/list.1")" 9
	expect_eq "Merkle root of 2 as of 1" "$(root_of 2)" "$(root_of 1)"
	expect_eq "Merkle root of 3 as of 1" "$(root_of 3)" "$(root_of 1)"
	case $(root_of 1) in "9 "[0-9a-f]*) ;; *) fail "root: $(root_of 1)" ;; esac
	[ "$(root_of 1 | cut -d' ' -f2 | tr -d '\n' | wc -c)" = 32 ] || fail "root: $(root_of 1)"
	# The responder's side of the sessions with node 2.
	wait_for 3 status_is 2 '.accepted == 3 and .started == 1 and .ok == 4' ||
		fail "node 2 status: $(jq -c 'del(.peers)' "$TMP/status.2")"

	run 1 ctl 1 repair now "127.0.0.1:$(port 9)"
	expect_eq "nobody there" "$(echo "$OUT" | grep '^rumorctl:')" \
		"rumorctl: repair now: 127.0.0.1:$(port 9): Connection refused"
	run 2 ctl 1 repair now
	run 2 ctl 1 repair now not-an-address
	run 2 ctl 1 repair frob
	run 2 ctl 1 repair status extra
	run 2 "$RUMORD" --peer :80
	run 2 "$RUMORD" --repair-interval -1
	run 2 "$RUMORD" --session-timeout 0
	run 2 "$RUMORD" --max-sessions 0
	run 2 "$RUMORD" --netlink-buffer 2
	expect_eq "failures counted" "$(ctl 1 -j repair status | jq -c '[.started, .failed]')" '[4,1]'
	ctl 1 repair status
}

# The repair hook: a rumord that starts raises STARTUP, and the scheduler
# serves it with a session at once, not at the next periodic round.
test_startup_request_served() {
	start 2 "" --repair-interval 0
	ctl 2 kv put written "while node 1 was down"
	start 1 "2" --repair-interval 3600
	wait_for 3 same_lists 1 2 || fail "node 1 did not catch up"
	run 0 ctl 1 kv get written
	wait_for 3 status_is 1 '.repairs_taken == 1 and .repairs_pending == 0 and
		.started == 1 and .ok == 1 and .next_round_ms > 2000000' ||
		fail "status: $(jq -c 'del(.peers)' "$TMP/status.1")"
}

test_hostile_peers() {
	start 1 "" --repair-interval 0 --session-timeout 1 --max-sessions 2
	ctl 1 kv put before hostility
	python3 - "$(port 1)" <<'EOF'
import socket, struct, sys, time

PORT = int(sys.argv[1])

def conn(data=b''):
    s = socket.create_connection(('127.0.0.1', PORT))
    s.settimeout(5)
    if data:
        s.sendall(data)
    return s

def closed_after(s):
    """Seconds until rumord closes the connection, reading what it sends."""
    t = time.time()
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    s.close()
    return time.time() - t

def frame(ftype, body=b''):
    return struct.pack('<IB', len(body) + 1, ftype) + body

garbage = {
    'an HTTP request': b'GET / HTTP/1.0\r\n\r\n',
    'a zero length': struct.pack('<I', 0),
    'a length over 2 MiB': struct.pack('<I', (2 << 20) + 1) + b'x' * 100,
    'an unknown frame type': frame(9),
    'BYE first': frame(8),
    'END first': frame(7),
    'HELLO of version 9': frame(1, bytes([9, 1, 0])),
    'HELLO of an unknown method': frame(1, bytes([1, 77, 0])),
    'HELLO with unknown flags': frame(1, bytes([1, 2, 0x80])),
    'HELLO cut short': frame(1, bytes([1])),
    'records before HELLO': frame(2, struct.pack('<I', 1)),
    'random bytes': bytes(range(256)) * 8,
}
for name, data in garbage.items():
    took = closed_after(conn(data))
    if took > 0.8:
        sys.exit('%s: closed after %.2f s, not at once' % (name, took))

# Silent, or stopping half-way through a frame: the timeout (1 s) ends it.
for data in (b'', struct.pack('<I', 40) + b'\x01\x01'):
    took = closed_after(conn(data))
    if not 0.8 <= took <= 3:
        sys.exit('silent peer closed after %.2f s, want about 1' % took)

# --max-sessions 2: a third at once is turned away at once. A connection
# is a session once its first bytes say so (an RPC's would not).
half = struct.pack('<I', 40) + b'\x01\x01'
held = [conn(half), conn(half)]
time.sleep(0.2)
took = closed_after(conn(half))
if took > 0.5:
    sys.exit('third session closed after %.2f s, not at once' % took)
for s in held:
    closed_after(s)
print('%d garbage streams closed at once, silent peers timed out, the '
      'third of three sessions refused' % len(garbage))
EOF
	kill -0 "$PID1" || fail "rumord died"
	run 0 ctl 1 kv get before
	expect_eq "still serving" "$OUT" hostility
	# 12 garbage streams and 3 half frames fail; the silent connection is
	# closed before it is a session.
	status_is 1 '.refused == 1 and .timed_out == 3 and .failed == 15 and
		.ok == 0 and .active_in == 0' ||
		fail "counters: $(jq -c 'del(.peers)' "$TMP/status.1")"
	jq -e '.peers[0] | .incoming and .failures == 15 and (.error | length > 0)' \
		"$TMP/status.1" >/dev/null || fail "the hostile address's row"
	# And a real peer still gets its session.
	start 2 "" --repair-interval 0
	ctl 2 kv put from-two hello
	run 0 ctl 2 -j repair now "127.0.0.1:$(port 1)"
	expect_eq "a good session after the bad ones" \
		"$(echo "$OUT" | jq -c '[.ok, .keys_sent, .keys_received]')" '[true,1,1]'
	run 0 ctl 1 kv get from-two
	expect_eq "its key" "$OUT" hello
	kill -TERM "$PID1"
	wait "$PID1" || fail "exit status $? after SIGTERM"
	grep "sessions: started" "$TMP/log.1"
}

echo "KTAP version 1"
echo "1..${#TESTS[@]}"
for t in "${TESTS[@]}"; do
	rm -rf "$TMP"/state.* "$TMP"/*.sock "$TMP"/log.*
	ktap_case "$t" "test_$t"
done
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]

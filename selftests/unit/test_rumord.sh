#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rumord on the host, without rumor.ko (--no-module): rumorctl kv against
# it, its startup errors, a clean exit on SIGTERM, a restart keeping the
# data and the node id, hostile client frames, a list larger than one
# chunk, and kill -9 in the middle of writes losing no acknowledged one.
# KTAP output; exit 0 (pass) or 1 (fail). Needs jq and python3.
#
#   BUILD=build selftests/unit/test_rumord.sh

set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/rumor-test-rumord.XXXXXX)
SOCK=$TMP/rumord.sock
STATE=$TMP/state
# Ports of our own, unlikely to be taken: from this shell's pid.
PORT=$((20000 + $$ % 20000))

export RUMORD_SOCKET=$SOCK

source "$REPO/selftests/lib/ktap.sh"
source "$REPO/selftests/lib/rumord.sh"

TESTS=(kv_basics kv_json kv_errors startup_errors sigterm_and_restart
       hostile_frames list_in_chunks kill9_loses_no_acked_write
       netns_default_socket levels_standalone)

after_case() {
	reap
}

# Start rumord in the background (extra options after the defaults) and
# wait until it answers; its pid in $RUMORD_PID, its log in $TMP/log.
start() {
	"$RUMORD" --no-module --state "$STATE" --socket "$SOCK" \
		--listen "127.0.0.1:$PORT" "$@" >>"$TMP/log" 2>&1 &
	RUMORD_PID=$!
	echo "$RUMORD_PID" >>"$TMP/pids"
	local i
	for i in $(seq 100); do
		"$RUMORCTL" kv list >/dev/null 2>&1 && return 0
		kill -0 "$RUMORD_PID" 2>/dev/null || fail "rumord died: $(tail -3 "$TMP/log")"
		sleep 0.05
	done
	fail "rumord did not come up: $(tail -3 "$TMP/log")"
}

# Stop it with SIGTERM; its exit status in $STOP_RC.
stop() {
	kill -TERM "$RUMORD_PID"
	STOP_RC=0
	wait "$RUMORD_PID" || STOP_RC=$?
}

test_kv_basics() {
	[ -x "$RUMORD" ] || fail "$RUMORD is not built"
	start
	run 0 "$RUMORCTL" kv put greeting "hello world"
	expect_eq "put prints nothing" "$OUT" ""
	run 0 "$RUMORCTL" kv get greeting
	expect_eq "get" "$OUT" "hello world"
	run 0 "$RUMORCTL" kv put app/a 1
	run 0 "$RUMORCTL" kv put app/b 2
	run 0 "$RUMORCTL" kv put "app/with space" "tab	and
newline"
	run 0 "$RUMORCTL" kv put zzz last
	run 0 "$RUMORCTL" kv list app/
	expect_eq "list prefix" "$OUT" "$(printf 'app/a\t1\napp/b\t2\napp/with space\ttab\\tand\\nnewline')"
	run 0 "$RUMORCTL" kv put app/a one
	run 0 "$RUMORCTL" kv get app/a
	expect_eq "overwrite" "$OUT" "one"
	run 0 "$RUMORCTL" kv del app/a
	run 1 "$RUMORCTL" kv get app/a
	expect_eq "get deleted" "$OUT" "rumorctl: kv get: app/a: no such key"
	run 0 "$RUMORCTL" kv del app/a
	run 0 "$RUMORCTL" kv list
	expect_eq "list after delete" "$(echo "$OUT" | cut -f1 | tr '\n' ' ')" \
		"app/b app/with space greeting zzz "
	# A value larger than any datagram, from a file, back byte for byte.
	head -c 300000 /dev/urandom >"$TMP/big"
	run 0 "$RUMORCTL" kv put big file "$TMP/big"
	"$RUMORCTL" kv get big | head -c 300000 >"$TMP/big.out"
	cmp "$TMP/big" "$TMP/big.out" || fail "big value differs"
	stop
	expect_eq "exit status" "$STOP_RC" 0
}

test_kv_json() {
	local node
	start
	run 0 "$RUMORCTL" -j kv put j1 v1
	node=$(echo "$OUT" | jq -r .node)
	[ ${#node} = 16 ] || fail "node id '$node'"
	expect_eq "put json" "$(echo "$OUT" | jq -c '[.key, .counter > 0]')" '["j1",true]'
	# The HLC exactly, as a string; its wall-clock part within a minute.
	python3 -c '
import json, sys, time
v = json.loads(sys.argv[1])
assert isinstance(v["hlc"], str) and int(v["hlc"]) >> 16 == v["time_ms"], v
assert abs(v["time_ms"] - time.time() * 1000) < 60000, v
' "$OUT" || fail "hlc/time_ms in $OUT"
	run 0 "$RUMORCTL" -j kv get j1
	expect_eq "get json" "$(echo "$OUT" | jq -c '[.key, .value, .node]')" \
		"[\"j1\",\"v1\",\"$node\"]"
	run 0 "$RUMORCTL" -j kv put j2 'quote " and \ backslash'
	run 0 "$RUMORCTL" -j kv list j
	expect_eq "list json" "$(echo "$OUT" | jq -c 'map(.value)')" \
		'["v1","quote \" and \\ backslash"]'
	run 0 "$RUMORCTL" -j kv del j1
	expect_eq "del json" "$(echo "$OUT" | jq -c '.already_deleted')" false
	run 0 "$RUMORCTL" -j kv del j1
	expect_eq "del again json" "$(echo "$OUT" | jq -c '.already_deleted')" true
	run 0 "$RUMORCTL" -j kv list nothing-here
	expect_eq "empty list" "$OUT" "[]"
	stop
}

test_kv_errors() {
	local long
	run 1 "$RUMORCTL" kv get x
	expect_eq "not running" "$OUT" "rumorctl: rumord is not running (no socket $SOCK)"
	run 1 env RUMORD_SOCKET= "$RUMORCTL" kv socket "$TMP/other.sock" get x
	expect_eq "socket keyword" "$OUT" \
		"rumorctl: rumord is not running (no socket $TMP/other.sock)"
	run 2 "$RUMORCTL" kv
	run 2 "$RUMORCTL" kv frob
	run 2 "$RUMORCTL" kv put onlykey
	run 2 "$RUMORCTL" kv get a b
	run 2 "$RUMORCTL" kv del
	run 2 "$RUMORCTL" kv list a b
	long=$(printf 'k%.0s' $(seq 513))
	run 2 "$RUMORCTL" kv get "$long"
	expect_eq "key too long" "$OUT" "rumorctl: kv get: a key is 1 to 512 bytes"
	run 2 "$RUMORCTL" kv put "" v
	start
	run 0 "$RUMORCTL" kv put "${long:1}" "512-byte key"
	run 0 "$RUMORCTL" kv get "${long:1}"
	expect_eq "512-byte key" "$OUT" "512-byte key"
	run 1 "$RUMORCTL" kv put big file "$TMP/nonexistent"
	head -c $((1048576 + 1)) /dev/zero >"$TMP/toobig"
	run 1 "$RUMORCTL" kv put big file "$TMP/toobig"
	expect_eq "too big" "$OUT" "rumorctl: kv put: $TMP/toobig: larger than 1048576 bytes"
	stop
}

test_startup_errors() {
	: >"$TMP/afile"
	run 1 "$RUMORD" --no-module --state "$TMP/afile" --socket "$SOCK"
	expect_eq "state is a file" "$OUT" \
		"rumord: state directory $TMP/afile is unusable: Not a directory"
	run 2 "$RUMORD" --bogus
	run 2 "$RUMORD" --listen
	run 2 "$RUMORD" extra
	run 1 "$RUMORD" --no-module --state "$TMP/s1" --socket "$SOCK" --listen nonsense:x
	expect_eq "bad listen" "$OUT" \
		"rumord: --listen: bad address 'nonsense:x' (ADDR:PORT or [ADDR6]:PORT)"
	start
	run 1 "$RUMORD" --no-module --state "$STATE" --socket "$TMP/s2.sock" \
		--listen "127.0.0.1:$((PORT + 1))"
	expect_eq "state in use" "$OUT" \
		"rumord: state directory $STATE is in use by another rumord"
	run 1 "$RUMORD" --no-module --state "$TMP/s3" --socket "$TMP/s3.sock" \
		--listen "127.0.0.1:$PORT"
	expect_eq "address in use" "$OUT" "rumord: address 127.0.0.1:$PORT is in use"
	run 1 "$RUMORD" --no-module --state "$TMP/s4" --socket "$SOCK" \
		--listen "127.0.0.1:$((PORT + 1))"
	expect_eq "socket in use" "$OUT" "rumord: socket $SOCK is in use by another rumord"
	stop
	# Without --no-module, the module must be there and its instance up.
	if "$RUMORCTL" show 2>&1 | grep -q "rumor.ko is not loaded"; then
		run 1 "$RUMORD" --state "$TMP/s5" --socket "$TMP/s5.sock" \
			--listen "127.0.0.1:$((PORT + 1))"
		expect_eq "no module" "$OUT" \
			"rumord: rumor.ko is not loaded (modprobe rumor; or --no-module)"
	else
		echo "rumor.ko is loaded here: not checking its absence"
	fi
}

test_sigterm_and_restart() {
	local node1 node2
	start
	run 0 "$RUMORCTL" -j kv put keep me
	node1=$(echo "$OUT" | jq -r .node)
	run 0 "$RUMORCTL" kv put gone soon
	run 0 "$RUMORCTL" kv del gone
	stop
	expect_eq "SIGTERM exit status" "$STOP_RC" 0
	[ ! -e "$SOCK" ] || fail "the socket is still there"
	grep -q "Terminated: shutting down" "$TMP/log" || fail "no shutdown line in the log"
	start
	run 0 "$RUMORCTL" kv get keep
	expect_eq "after restart" "$OUT" "me"
	run 1 "$RUMORCTL" kv get gone
	run 0 "$RUMORCTL" -j kv put keep again
	node2=$(echo "$OUT" | jq -r .node)
	expect_eq "node id after restart" "$node2" "$node1"
	kill -INT "$RUMORD_PID"
	STOP_RC=0
	wait "$RUMORD_PID" || STOP_RC=$?
	expect_eq "SIGINT exit status" "$STOP_RC" 0
}

test_hostile_frames() {
	start
	python3 - "$SOCK" <<'EOF'
import socket, struct, sys

def frame(op, body, magic=0x6472, version=1, status=0, flags=0, length=None):
    if length is None:
        length = len(body)
    return struct.pack('<IHBBiI', length, magic, version, op, status, flags) + body

def reply(data):
    """The DONE status rumord sends back, None if it just closed."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(data)
    got = b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    if len(got) < 16:
        return None
    length, magic, version, op, status, flags = struct.unpack('<IHBBiI', got[-16:])
    return status

EPROTO = -71
cases = {
    'bad magic': frame(2, b'\x01\x00\x00\x00k', magic=0x1234),
    'bad version': frame(2, b'\x01\x00\x00\x00k', version=9),
    'unknown op': frame(77, b''),
    'reply op from a client': frame(0x82, b''),
    'unknown flag': frame(2, b'\x01\x00\x00\x00k', flags=0x80),
    'huge length': frame(2, b'', length=0xffffffff),
    'key length beyond body': frame(2, b'\xff\x00\x00\x00k'),
    'empty key': frame(2, b'\x00\x00\x00\x00'),
    'value length beyond body': frame(1, b'\x01\x00\x00\x00\xff\xff\x00\x00kv'),
    'status in a request': frame(2, b'\x01\x00\x00\x00k', status=-1),
}
for name, data in cases.items():
    st = reply(data)
    if st != EPROTO:
        sys.exit('%s: got %r, want %d' % (name, st, EPROTO))
# A header cut short, then the connection closed: nothing to answer.
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'\x05\x00')
s.close()
EOF
	kill -0 "$RUMORD_PID" || fail "rumord died"
	run 0 "$RUMORCTL" kv put still alive
	run 0 "$RUMORCTL" kv get still
	expect_eq "after hostile frames" "$OUT" "alive"
	stop
}

# More records than one chunk of a streamed LIST (256 KiB).
test_list_in_chunks() {
	local i
	start
	head -c 20000 /dev/zero | tr '\0' v >"$TMP/v20k"
	for i in $(seq 60); do
		"$RUMORCTL" kv put "chunk/$i" file "$TMP/v20k" || fail "put $i"
	done
	run 0 "$RUMORCTL" kv list chunk/
	expect_eq "records listed" "$(echo "$OUT" | wc -l)" 60
	run 0 "$RUMORCTL" -j kv list chunk/
	expect_eq "records in JSON" "$(echo "$OUT" | jq length)" 60
	stop
}

# Writers put keys as fast as they can and note each acknowledged one;
# rumord is killed with SIGKILL under them. Every acknowledged write must
# be there after a restart (the socket file left behind is taken over).
test_kill9_loses_no_acked_write() {
	local w pids=() acked missing=0 key
	start
	for w in 1 2 3; do
		(
			i=0
			while :; do
				i=$((i + 1))
				"$RUMORCTL" kv put "w$w/$i" "value $w $i" 2>/dev/null || exit 0
				echo "w$w/$i" >>"$TMP/acked.$w"
			done
		) &
		pids+=($!)
	done
	sleep 1.5
	kill -9 "$RUMORD_PID"
	wait "$RUMORD_PID" 2>/dev/null || true
	wait "${pids[@]}"
	acked=$(cat "$TMP"/acked.* | wc -l)
	[ "$acked" -gt 10 ] || fail "only $acked writes acknowledged"
	[ -S "$SOCK" ] || fail "no stale socket left behind"
	start
	"$RUMORCTL" kv list w >"$TMP/after"
	while read -r key; do
		w=${key%%/*}
		grep -qxF "$key	value ${w#w} ${key#*/}" "$TMP/after" || missing=$((missing + 1))
	done < <(cat "$TMP"/acked.*)
	echo "$acked writes acknowledged before kill -9, $missing missing after"
	expect_eq "acknowledged writes missing" "$missing" 0
	stop
}

# rumord in a named namespace listens on /run/rumord/NAME.sock, and
# `rumorctl -n NAME kv` finds it there without being told.
test_netns_default_socket() {
	local ns=rumord-test-$$ pid i
	if ! ip netns add "$ns" 2>/dev/null; then
		echo "SKIP: cannot create a network namespace"
		return 0
	fi
	ip netns exec "$ns" "$RUMORD" --no-module --state "$STATE" \
		--listen "127.0.0.1:$PORT" >>"$TMP/log" 2>&1 &
	pid=$!
	echo "$pid" >>"$TMP/pids"
	for i in $(seq 100); do
		[ -S "/run/rumord/$ns.sock" ] && break
		sleep 0.05
	done
	env -u RUMORD_SOCKET "$RUMORCTL" -n "$ns" kv put where "$ns" ||
		{ ip netns del "$ns"; fail "put through -n $ns"; }
	OUT=$(env -u RUMORD_SOCKET "$RUMORCTL" -n "$ns" kv get where) || true
	kill -TERM "$pid"
	wait "$pid" || true
	ip netns del "$ns"
	expect_eq "get through -n" "$OUT" "$ns"
	[ ! -e "/run/rumord/$ns.sock" ] || fail "socket left behind"
}

echo "KTAP version 1"
# Consistency levels on a node alone (no module: no membership): it is
# every key's only replica, so level 1 is this node and level 2 cannot be
# met, which is said before anything is written.
test_levels_standalone() {
	local id
	start
	run 0 "$RUMORCTL" -j nodes
	id=$(echo "$OUT" | jq -r '.[0].node')
	expect_eq "nodes: only this one" "$(echo "$OUT" | jq -c '[length, .[0].self, .[0].state]')" \
		'[1,true,"up"]'
	run 0 "$RUMORCTL" -j kv where k
	expect_eq "where: this node, the home" \
		"$(echo "$OUT" | jq -c "[length, .[0].node == \"$id\", .[0].preferred, .[0].self]")" \
		'[1,true,true,true]'
	run 0 "$RUMORCTL" -j kv put k v1 --w 1
	expect_eq "put --w 1" "$(echo "$OUT" | jq -c '[.quorum.level, .quorum.acked, .quorum.replicas, .quorum.hints]')" \
		'[1,1,1,0]'
	run 1 "$RUMORCTL" kv put k v2 --w 2
	expect_eq "put --w 2" "$OUT" \
		"rumorctl: kv put: 2 copies asked and 1 live node can hold the key: nothing written"
	run 1 "$RUMORCTL" kv put k v2 --w 2 --strict
	[[ $OUT == *"--strict needs 2"* ]] || fail "put --w 2 --strict: $OUT"
	run 0 "$RUMORCTL" kv get k
	expect_eq "nothing written by the refused puts" "$OUT" v1
	run 0 "$RUMORCTL" -j kv get k --r 1
	expect_eq "get --r 1" "$(echo "$OUT" | jq -c '[.value, .quorum.digests, .quorum.mismatches]')" \
		'["v1",0,0]'
	run 1 "$RUMORCTL" kv get k --r 2
	expect_eq "get --r 2" "$OUT" \
		"rumorctl: kv get: 2 replicas asked and 1 live node can hold the key"
	run 0 "$RUMORCTL" -j kv del k --w 1
	run 1 "$RUMORCTL" kv get k --r 1
	expect_eq "deleted, read at level 1" "$OUT" "rumorctl: kv get: k: no such key"
	run 0 "$RUMORCTL" -j hints
	expect_eq "no hints" "$(echo "$OUT" | jq -c '[.targets, .added, .quota]')" \
		'[[],0,4194304]'
	run 0 "$RUMORCTL" -j repair status
	expect_eq "counted" "$(echo "$OUT" | jq -c '[.quorum_writes, .quorum_writes_failed, .quorum_reads, .quorum_reads_failed, .members_up]')" \
		'[4,2,3,1,0]'
	stop
	expect_eq "exit status" "$STOP_RC" 0
}

echo "1..${#TESTS[@]}"
for t in "${TESTS[@]}"; do
	rm -rf "$STATE" "$TMP"/s? "$TMP"/*.sock "$TMP"/acked.*
	ktap_case "$t" "test_$t"
done
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]

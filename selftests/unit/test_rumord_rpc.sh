#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rumord's replica side on the host: one rumord in --no-module mode on
# loopback, spoken to over its peer port by a coordinator written here in
# Python from the frame layout of userspace/rumord/rpc_proto.h (not from
# its code). Writes are applied and acknowledged, stale ones acknowledged
# as unchanged with the version held, reads answer full or by digest,
# requests pipelined on one connection are answered by id; a stand-in's
# write is kept as a hint, within its quota, and dropped after the hint
# window; our own dot from elsewhere is refused; hostile frames get an
# ERROR and the connection is closed while rumord goes on serving. KTAP
# output; exit 0 (pass) or 1 (fail). Needs python3 and jq.
#
#   BUILD=build selftests/unit/test_rumord_rpc.sh

set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/rumor-test-rpc.XXXXXX)
# A port of our own, from this shell's pid, away from the other tests'.
PORT=$((20000 + $$ % 15000))
export RUMORD_SOCKET=$TMP/sock

source "$REPO/selftests/lib/ktap.sh"
source "$REPO/selftests/lib/rumord.sh"

TESTS=(writes_and_reads hints_quota_and_window own_dot_refused hostile_frames)

after_case() {
	reap
	[ "$1" -eq 0 ] || tail -5 "$TMP/log" 2>/dev/null | sed 's/^/# log: /'
	rm -rf "$TMP/state" "$TMP/log"
	return 0
}

start() {
	"$RUMORD" --no-module --state "$TMP/state" --socket "$TMP/sock" \
		--listen "127.0.0.1:$PORT" --repair-interval 0 "$@" >>"$TMP/log" 2>&1 &
	echo $! >>"$TMP/pids"
	for _ in $(seq 100); do
		"$RUMORCTL" kv list >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "rumord did not come up: $(tail -3 "$TMP/log")"
}

# coordinator SCRIPT: run Python SCRIPT with the frame helpers below and
# PORT set; it exits non-zero with a message when a check fails.
coordinator() {
	cat >"$TMP/coord.py" <<'EOF'
import os, socket, struct, sys, time

PORT = int(os.environ['PORT'])
MAGIC, VERSION = 0x7072, 1
WRITE, READ, PING = 1, 2, 3
ERROR, WRITE_ACK, READ_REPLY, PONG = 0x80, 0x81, 0x82, 0x83
F_TOMBSTONE, F_HINT, F_DIGEST_ONLY, F_UNCHANGED = 1, 2, 4, 8
ENOENT, ESTALE, EPROTO, EDQUOT, EPROTONOSUPPORT = 2, 116, 71, 122, 93

def frame(op, ident, body=b'', flags=0, version=VERSION):
    return struct.pack('<IHBBIQ', 16 + len(body), MAGIC, version, op,
                       flags, ident) + body

def ver(hlc, node, counter):
    return struct.pack('<QQQ', hlc, node, counter)

def write(ident, key, value, hlc, node, counter, hint=None, flags=0):
    body = ver(hlc, node, counter) + struct.pack('<HHI', len(key), 0, len(value))
    if hint:
        flags |= F_HINT
        body += struct.pack('<Q16sHHI', hint, b'\0' * 10 + b'\xff\xff' +
                            bytes([127, 0, 0, 9]), 7867, 0, 0)
    return frame(WRITE, ident, body + key + value, flags)

def read(ident, key, digest_only=False):
    return frame(READ, ident, struct.pack('<HH', len(key), 0) + key,
                 F_DIGEST_ONLY if digest_only else 0)

def connect():
    s = socket.create_connection(('127.0.0.1', PORT))
    s.settimeout(5)
    return s

def recv_exact(s, n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError('closed after %d of %d bytes' % (len(b), n))
        b += c
    return b

def reply(s):
    """(op, flags, id, body) of the next frame, or None at the end."""
    try:
        head = recv_exact(s, 20)
    except EOFError:
        return None
    length, magic, version, op, flags, ident = struct.unpack('<IHBBIQ', head)
    assert magic == MAGIC and version == VERSION, head
    return op, flags, ident, recv_exact(s, length - 16)

def ack(body):
    status, zero, hlc, node, counter = struct.unpack('<iIQQQ', body)
    return status, (hlc, node, counter)

def read_reply(body):
    status, vlen, hlc, node, counter, lo, hi = struct.unpack('<iIQQQQQ', body[:48])
    return status, (hlc, node, counter), (lo, hi), body[48:48 + vlen]

def check(cond, what):
    if not cond:
        sys.exit(what)

NOW = int(time.time() * 1000) << 16
EOF
	cat >>"$TMP/coord.py"
	PORT=$PORT python3 "$TMP/coord.py"
}

test_writes_and_reads() {
	start
	coordinator <<'EOF'
s = connect()
# Pipelined: three requests in one send, answered by id.
s.sendall(write(11, b'k1', b'one', NOW, 0xaa, 1) +
          write(12, b'k2', b'two', NOW, 0xaa, 2) + frame(PING, 13))
got = {}
for _ in range(3):
    op, flags, ident, body = reply(s)
    got[ident] = (op, flags, body)
check(got[11][0] == WRITE_ACK and ack(got[11][2]) == (0, (NOW, 0xaa, 1)),
      'ack of k1: %r' % (got[11],))
check(got[12][0] == WRITE_ACK and ack(got[12][2])[0] == 0, 'ack of k2')
check(got[13][0] == PONG and got[13][2] == b'', 'pong')
# A write older than the one held: acknowledged, unchanged, the newer kept.
s.sendall(write(14, b'k1', b'older', NOW - (1 << 16), 0xbb, 1))
op, flags, ident, body = reply(s)
check(op == WRITE_ACK and flags & F_UNCHANGED and
      ack(body) == (0, (NOW, 0xaa, 1)), 'stale write: %r' % ((op, flags, body),))
# Reads: the value, then the digest alone, then a key never written.
s.sendall(read(15, b'k1'))
op, flags, ident, body = reply(s)
status, v, digest, value = read_reply(body)
check(op == READ_REPLY and ident == 15 and status == 0 and
      v == (NOW, 0xaa, 1) and value == b'one' and digest != (0, 0),
      'read: %r' % ((op, body),))
s.sendall(read(16, b'k1', digest_only=True))
op, flags, ident, body = reply(s)
status, v2, digest2, value2 = read_reply(body)
check(flags & F_DIGEST_ONLY and status == 0 and v2 == v and
      digest2 == digest and value2 == b'', 'digest read: %r' % (body,))
s.sendall(read(17, b'k2', digest_only=True))
op, flags, ident, body = reply(s)
check(read_reply(body)[2] != digest, 'k2 has the digest of k1')
s.sendall(read(18, b'nothing'))
op, flags, ident, body = reply(s)
check(read_reply(body)[0] == -ENOENT and read_reply(body)[2] == (0, 0),
      'missing key: %r' % (body,))
# A delete: its tombstone is read back as one.
s.sendall(write(19, b'k2', b'', NOW + (1 << 16), 0xaa, 3, flags=F_TOMBSTONE))
op, flags, ident, body = reply(s)
check(ack(body)[0] == 0 and flags & F_TOMBSTONE, 'delete ack')
s.sendall(read(20, b'k2'))
op, flags, ident, body = reply(s)
check(flags & F_TOMBSTONE and read_reply(body)[0] == 0, 'tombstone read')
print('7 writes and reads answered, 3 of them pipelined')
EOF
	run 0 "$RUMORCTL" kv get k1
	expect_eq "k1 through the client socket" "$OUT" one
	run 1 "$RUMORCTL" kv get k2
	expect_eq "k2 deleted" "$OUT" "rumorctl: kv get: k2: no such key"
}

test_hints_quota_and_window() {
	# 4 KiB a target: three hints of 1000-byte values (104 + 2 + 1000
	# bytes each) fit, the fourth does not.
	start --hint-quota 4 --hint-window 2
	coordinator <<'EOF'
s = connect()
for i in range(4):
    s.sendall(write(30 + i, b'h%d' % i, b'v' * 1000, NOW, 0xcc, i + 1, hint=0x77))
    op, flags, ident, body = reply(s)
    status = ack(body)[0]
    want = -EDQUOT if i == 3 else 0
    check(op == WRITE_ACK and status == want, 'hint %d: status %d' % (i, status))
print('3 hints stored, the 4th refused over quota')
EOF
	run 0 "$RUMORCTL" -j hints
	expect_eq "hints for 0x77" \
		"$(echo "$OUT" | jq -c '[.targets[0].node, .targets[0].count, .targets[0].bytes, .added, .dropped_quota]')" \
		'["0000000000000077",3,3318,3,1]'
	# A stand-in holds the write too, not only the hint.
	run 0 "$RUMORCTL" kv get h0
	expect_eq "h0 applied" "${#OUT}" 1000
	for _ in $(seq 60); do
		"$RUMORCTL" -j hints >"$TMP/hints"
		[ "$(jq -r .expired "$TMP/hints")" = 3 ] && break
		sleep 0.1
	done
	expect_eq "expired after the 2 s window" \
		"$(jq -c '[.targets, .expired]' "$TMP/hints")" '[[],3]'
	grep -q "3 hints expired" "$TMP/log" || fail "no log line for the expiry"
}

test_own_dot_refused() {
	local node
	start
	run 0 "$RUMORCTL" -j kv put mine here
	node=$(echo "$OUT" | jq -r .node)
	NODE=$node coordinator <<'EOF'
node = int(os.environ['NODE'], 16)
s = connect()
# A dot of ours we never made: it could move our counter. Refused.
s.sendall(write(40, b'mine', b'forged', NOW + (100 << 16), node, 99))
op, flags, ident, body = reply(s)
check(op == WRITE_ACK and ack(body)[0] == -ESTALE, 'forged own dot: %r' % (body,))
print('our own dot from elsewhere refused')
EOF
	run 0 "$RUMORCTL" kv get mine
	expect_eq "unchanged" "$OUT" here
}

test_hostile_frames() {
	start
	coordinator <<'EOF'
cases = {
    'another version': (frame(PING, 1, version=9), -EPROTONOSUPPORT),
    'a reply as a request': (frame(PONG, 1), -EPROTO),
    'flags PING does not know': (frame(PING, 1, flags=F_HINT), -EPROTO),
    'a length short of the header': (struct.pack('<IHBBIQ', 4, MAGIC, 1, PING, 0, 1), -EPROTO),
    'a READ longer than any key': (read(1, b'k' * 600), -EPROTO),
    'a WRITE whose lengths do not add up':
        (write(1, b'k', b'v', NOW, 0xaa, 1)[:-1] + b'', None),
    'a WRITE of counter 0': (write(1, b'k', b'v', NOW, 0xaa, 0), -EPROTO),
}
for name, (data, want) in cases.items():
    s = connect()
    s.sendall(data)
    if want is None:
        s.shutdown(socket.SHUT_WR)
    got = reply(s)
    if want is not None:
        check(got and got[0] == ERROR and got[2] == 0, '%s: %r' % (name, got))
        status = struct.unpack('<i', got[3][:4])[0]
        check(status == want, '%s: status %d, want %d' % (name, status, want))
        got = reply(s)
    check(got is None, '%s: not closed after the error' % name)
    s.close()
# Still serving peers after all that.
s = connect()
s.sendall(frame(PING, 5))
check(reply(s)[0] == PONG, 'no pong after the hostile frames')
print('%d hostile streams answered with ERROR and closed' % len(cases))
EOF
	run 0 "$RUMORCTL" kv put still serving
}

echo "KTAP version 1"
echo "1..${#TESTS[@]}"
for t in "${TESTS[@]}"; do
	ktap_case "$t" "test_$t"
done
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]

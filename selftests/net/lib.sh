# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for rumor's network selftests: KTAP output, nodes in
# network namespaces, the module, waiting with deadlines. Sourced by the
# test scripts; they run as root on a kernel that can load rumor.ko (in the
# test VM, or natively).

set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
RUMORCTL=$BUILD/rumorctl
MODULE=$REPO/kmod/rumor.ko

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# Unique per run, so parallel runs and leftovers never collide.
SUFFIX=$$
TMP=$(mktemp -d /tmp/rumor-selftest.XXXXXX)
BACKGROUND=()

ktap_n=0
ktap_failed=0
ktap_skipped=0

ktap_header() {
	echo "KTAP version 1"
	echo "1..$1"
}

# A note for the log; run_test turns a test's output into "# " lines.
diag() {
	echo "$*"
}

# run_test NAME FUNCTION: run FUNCTION in a subshell with errexit; any
# failing command fails the test and its output becomes diagnostics.
run_test() {
	local name=$1 fn=$2 rc start=$SECONDS
	ktap_n=$((ktap_n + 1))
	( set -e; "$fn" ) >"$TMP/out" 2>&1
	rc=$?
	sed 's/^/# /' "$TMP/out"
	echo "# $name took $((SECONDS - start)) s"
	if [ $rc -eq 0 ]; then
		echo "ok $ktap_n $name"
	elif [ $rc -eq $KSFT_SKIP ]; then
		echo "ok $ktap_n $name # SKIP $(tail -n1 "$TMP/out")"
		ktap_skipped=$((ktap_skipped + 1))
	else
		echo "not ok $ktap_n $name"
		ktap_failed=$((ktap_failed + 1))
	fi
}

ktap_finish() {
	echo "# $((ktap_n - ktap_failed - ktap_skipped)) passed, $ktap_failed failed, $ktap_skipped skipped"
	[ $ktap_failed -eq 0 ] || exit $KSFT_FAIL
	[ $ktap_skipped -lt $ktap_n ] || exit $KSFT_SKIP
	exit $KSFT_PASS
}

fail() {
	echo "FAIL: $*"
	return 1
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# expect_gt WHAT ACTUAL LIMIT
expect_gt() {
	[ "$2" -gt "$3" ] || fail "$1: got $2, expected more than $3"
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds or time runs out.
# COMMAND is run again each time, so a value it reads must be read by it:
# use the helpers below (at_least) rather than "$(...)" in the arguments.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# at_least N COMMAND...: the number COMMAND prints is at least N.
at_least() {
	local want=$1
	shift
	[ "$("$@")" -ge "$want" ]
}

# Stop background processes and delete every node this run made. Tests
# run in subshells, so nodes and processes are found by their suffix.
teardown_nodes() {
	local ns pid
	for pid in "${BACKGROUND[@]}"; do kill "$pid" 2>/dev/null || true; done
	pkill -f -- "-$SUFFIX( |$)" 2>/dev/null || true
	wait 2>/dev/null || true
	for ns in $(ip netns list | awk '{print $1}' | grep -- "-$SUFFIX$"); do
		ip netns del "$ns" || true
	done
	rm -rf /sys/fs/bpf/rumor/netns/*-"$SUFFIX" 2>/dev/null
	BACKGROUND=()
	return 0
}

cleanup() {
	teardown_nodes
	rm -rf "$TMP"
}
trap cleanup EXIT

require_root() {
	if [ "$(id -u)" != 0 ]; then
		ktap_header 0
		echo "# SKIP: needs root"
		exit $KSFT_SKIP
	fi
}

# Load the freshly built module and the in-tree modules it needs.
load_module() {
	local dep
	if [ ! -e "$MODULE" ] || [ ! -x "$RUMORCTL" ]; then
		echo "build rumor.ko and rumorctl first (make)" >&2
		return 1
	fi
	for dep in $(modinfo -F depends "$MODULE" | tr , ' ') veth bridge; do
		modprobe "$dep"
	done
	grep -q '^rumor ' /proc/modules || insmod "$MODULE"
}

unload_module() {
	! grep -q '^rumor ' /proc/modules || rmmod rumor
}

# Nodes. node_add NAME creates namespace NAME-$SUFFIX; "node NAME CMD..."
# runs CMD inside it and rctl NAME ARGS... runs rumorctl there.
nsname() { echo "$1-$SUFFIX"; }

node_add() {
	local ns
	ns=$(nsname "$1")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
}

node() {
	local ns
	ns=$(nsname "$1")
	shift
	ip netns exec "$ns" "$@"
}

rctl() {
	local ns
	ns=$(nsname "$1")
	shift
	"$RUMORCTL" -n "$ns" "$@"
}

# link_add A IFA ADDRA B IFB ADDRB PREFIXLEN: a veth pair between two nodes.
link_add() {
	local a=$1 ifa=$2 addra=$3 b=$4 ifb=$5 addrb=$6 plen=$7 nodad=
	case $addra in *:*) nodad=nodad ;; esac
	ip link add "$ifa" netns "$(nsname "$a")" type veth \
		peer name "$ifb" netns "$(nsname "$b")"
	ip -n "$(nsname "$a")" addr add "$addra/$plen" dev "$ifa" $nodad
	ip -n "$(nsname "$b")" addr add "$addrb/$plen" dev "$ifb" $nodad
	ip -n "$(nsname "$a")" link set "$ifa" up
	ip -n "$(nsname "$b")" link set "$ifb" up
}

# ring_add PREFIX N ipv4|ipv6: nodes PREFIX1..PREFIXN in a ring. Link i
# joins node i (interface to<i+1>, 10.0.<i>.1 or fd00:<i>::1) and node i+1
# (interface to<i>, 10.0.<i>.2 or fd00:<i>::2). Every node forwards, and
# routes what is not on its links clockwise, so all nodes reach each other
# and the overlay can form over the ring. Every node comes up with XDP on
# both of its links and joins through node 1.
ring_add() {
	local prefix=$1 count=$2 family=$3 i j a b plen net
	for i in $(seq 1 "$count"); do node_add "$prefix$i"; done
	for i in $(seq 1 "$count"); do
		j=$((i % count + 1))
		if [ "$family" = ipv6 ]; then
			a=fd00:$i::1 b=fd00:$i::2 plen=64
		else
			a=10.0.$i.1 b=10.0.$i.2 plen=24
		fi
		link_add "$prefix$i" "to$j" "$a" "$prefix$j" "to$i" "$b" "$plen"
	done
	for i in $(seq 1 "$count"); do
		j=$((i % count + 1))
		node "$prefix$i" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
		for net in $(seq 1 "$count"); do
			[ "$net" = "$i" ] || [ "$net" = $(((i + count - 2) % count + 1)) ] && continue
			if [ "$family" = ipv6 ]; then
				ip -n "$(nsname "$prefix$i")" route add "fd00:$net::/64" via "fd00:$i::2"
			else
				ip -n "$(nsname "$prefix$i")" route add "10.0.$net.0/24" via "10.0.$i.2"
			fi
		done
	done
	for i in $(seq 1 "$count"); do
		j=$((i % count + 1))
		rctl "$prefix$i" up $FAST
		rctl "$prefix$i" xdp attach dev "to$j" >/dev/null
		rctl "$prefix$j" xdp attach dev "to$i" >/dev/null
	done
	[ "$family" = ipv6 ] && a=fd00:1::1 || a=10.0.1.1
	for i in $(seq 2 "$count"); do rctl "$prefix$i" join "$a"; done
}

# bridge_add PREFIX N: nodes PREFIX1..PREFIXN on one bridge (in namespace
# PREFIX-br), 10.9.0.<i>/16 on eth0, XDP attached, rumor up, all joining
# through node 1.
bridge_add() {
	local prefix=$1 count=$2 i br
	br=$(nsname "$prefix-br")
	ip netns add "$br"
	ip -n "$br" link add br0 type bridge
	ip -n "$br" link set br0 up
	for i in $(seq 1 "$count"); do
		node_add "$prefix$i"
		ip link add eth0 netns "$(nsname "$prefix$i")" type veth \
			peer name "p$i" netns "$br"
		ip -n "$br" link set "p$i" master br0 up
		ip -n "$(nsname "$prefix$i")" addr add "10.9.$((i / 250)).$((i % 250 + 1))/16" dev eth0
		ip -n "$(nsname "$prefix$i")" link set eth0 up
		rctl "$prefix$i" up $FAST
		rctl "$prefix$i" xdp attach dev eth0 >/dev/null
	done
	for i in $(seq 2 "$count"); do rctl "$prefix$i" join 10.9.0.2; done
}

# Protocol timers for tests: failures noticed in a second and a half, and
# shuffles often enough to fill passive views within the test.
FAST="ping-interval 500 fail-timeout 1500 shuffle-interval 2000 join-interval 500"

# The overlay as seen by every node: "node-id neighbour-id" per active link.
overlay_edges() {
	local n
	for n in "$@"; do
		rctl "$n" -j show
	done | jq -r '.node_id as $id | .active[] | "\($id) \(.node_id)"'
}

# converged SECONDS NODES...: wait until check_overlay holds, then print
# what it said at that moment (views keep changing: a second look could
# catch a link half made).
converged() {
	local secs=$1
	shift
	if wait_for "$secs" check_overlay_into "$TMP/overlay" "$@"; then
		cat "$TMP/overlay"
		return 0
	fi
	cat "$TMP/overlay"
	return 1
}

check_overlay_into() {
	local out=$1
	shift
	check_overlay "$@" >"$out"
}

# Every active view holds 1..5 peers, links are symmetric, and the graph is
# connected: prints a reason and fails otherwise.
check_overlay() {
	python3 - "$(overlay_edges "$@")" "$#" <<'PY'
import sys
edges = [l.split() for l in sys.argv[1].splitlines() if l.strip()]
nodes = int(sys.argv[2])
adj = {}
for a, b in edges:
    adj.setdefault(a, set()).add(b)
bad = [a for a in adj if not 1 <= len(adj[a]) <= 5]
asym = [(a, b) for a, b in edges if a not in adj.get(b, ())]
seen, todo = set(), [next(iter(adj))] if adj else []
while todo:
    a = todo.pop()
    if a not in seen:
        seen.add(a)
        todo.extend(adj.get(a, ()))
print("overlay: %d nodes with links, %d links, sizes %s" %
      (len(adj), len(edges) // 2, sorted(len(v) for v in adj.values())))
if len(adj) != nodes or bad or asym or len(seen) != nodes:
    print("not converged: %d of %d nodes linked, sizes out of range %s, "
          "asymmetric %s, connected %d" % (len(adj), nodes, bad, asym[:3], len(seen)))
    sys.exit(1)
PY
}

# One counter of `rumorctl show stats` / `xdp stats` on a node.
stat() {
	rctl "$1" -j show stats | jq -r ".stats.$2"
}

# sum_stat FIELD NODES...: one counter summed over nodes, one query each.
sum_stat() {
	local field=$1 n
	shift
	for n in "$@"; do rctl "$n" -j show stats; done |
		jq -s "map(.stats.$field) | add"
}

xdp_stat() {
	rctl "$1" -j xdp stats | jq -r ".$2"
}

# monitor_start NODE: record the node's deliveries until monitor_stop.
monitor_start() {
	local ready=$TMP/ready.$1
	rm -f "$ready"
	# Not through rctl: $! must be rumorctl itself, not a subshell.
	"$RUMORCTL" -n "$(nsname "$1")" -j monitor ready "$ready" \
		>"$TMP/deliver.$1" 2>"$TMP/monitor-err.$1" &
	BACKGROUND+=($!)
	eval "MONITOR_PID_$1=$!"
	wait_for 10 test -e "$ready" || fail "monitor on $1 did not start"
}

monitor_stop() {
	local pid
	eval "pid=\$MONITOR_PID_$1"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# check_deliveries COUNT NODES...: the monitors recorded COUNT payloads
# "SENDER-TAG", each delivered exactly once by every node but SENDER and
# never by SENDER. Prints what it counted; fails with the first problems.
check_deliveries() {
	python3 - "$TMP" "$@" <<'PY'
import json, sys
tmp, count, nodes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
seen = {}
for n in nodes:
    for line in open("%s/deliver.%s" % (tmp, n)):
        p = json.loads(line)["payload"]
        seen.setdefault(p, {}).setdefault(n, 0)
        seen[p][n] += 1
bad = []
for p, by in sorted(seen.items()):
    sender = p.rsplit("-", 1)[0]
    for n in nodes:
        want = 0 if n == sender else 1
        if by.get(n, 0) != want:
            bad.append("%s on %s: %d, want %d" % (p, n, by.get(n, 0), want))
print("%d messages, %d deliveries checked on %d nodes" %
      (len(seen), sum(sum(b.values()) for b in seen.values()), len(nodes)))
if len(seen) != count:
    bad.insert(0, "%d messages delivered somewhere, want %d" % (len(seen), count))
if bad:
    print("\n".join(bad[:10]))
    sys.exit(1)
PY
}

# Deliveries seen by NODE so far, as "origin seq payload" lines.
deliveries() {
	jq -r '"\(.origin) \(.seq) \(.payload)"' <"$TMP/deliver.$1"
}

delivery_count() {
	wc -l <"$TMP/deliver.$1"
}

# Broadcast traffic has stopped: the nodes' gossip counters stop moving
# (PINGs and shuffles go on, so not all traffic).
quiesce() {
	local before after i n
	for i in $(seq 1 50); do
		before=$(for n in "$@"; do rctl "$n" -j show stats; done |
			 jq -c '.stats | [.delivered, .rx_gossip, .tx_ihave, .tx_graft]')
		sleep 0.5
		after=$(for n in "$@"; do rctl "$n" -j show stats; done |
			jq -c '.stats | [.delivered, .rx_gossip, .tx_ihave, .tx_graft]')
		[ "$before" != "$after" ] || return 0
	done
	fail "broadcast traffic did not settle"
}

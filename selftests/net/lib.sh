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
	local name=$1 fn=$2 rc
	ktap_n=$((ktap_n + 1))
	( set -e; "$fn" ) >"$TMP/out" 2>&1
	rc=$?
	sed 's/^/# /' "$TMP/out"
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
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
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
	for dep in $(modinfo -F depends "$MODULE" | tr , ' ') veth; do
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
# (interface to<i>, 10.0.<i>.2 or fd00:<i>::2). Every node comes up with its
# two neighbours as peers and XDP on both of its links.
ring_add() {
	local prefix=$1 count=$2 family=$3 i j a b plen
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
	for i in $(seq 1 "$count"); do rctl "$prefix$i" up; done
	for i in $(seq 1 "$count"); do
		j=$((i % count + 1))
		if [ "$family" = ipv6 ]; then
			a=fd00:$i::1 b=[fd00:$i::2]:7866
		else
			a=10.0.$i.1 b=10.0.$i.2:7866
		fi
		rctl "$prefix$i" peer add "$b"
		rctl "$prefix$j" peer add "$a"
		rctl "$prefix$i" xdp attach dev "to$j" >/dev/null
		rctl "$prefix$j" xdp attach dev "to$i" >/dev/null
	done
}

# One counter of `rumorctl show stats` / `xdp stats` on a node.
stat() {
	rctl "$1" -j show stats | jq -r ".stats.$2"
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

# Deliveries seen by NODE so far, as "origin seq payload" lines.
deliveries() {
	jq -r '"\(.origin) \(.seq) \(.payload)"' <"$TMP/deliver.$1"
}

delivery_count() {
	wc -l <"$TMP/deliver.$1"
}

# The node's counters stop moving: nothing is in flight any more.
quiesce() {
	local before after i
	for i in $(seq 1 50); do
		before=""
		for n in "$@"; do before="$before $(stat "$n" rx_packets)"; done
		sleep 0.3
		after=""
		for n in "$@"; do after="$after $(stat "$n" rx_packets)"; done
		[ "$before" != "$after" ] || return 0
	done
	fail "traffic did not settle"
}

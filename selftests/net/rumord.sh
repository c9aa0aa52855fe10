#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rumord with rumor.ko: a rumord on every node of the 16-node bridge
# cluster, its writes broadcast through the module and applied by the
# others. A write anywhere is readable everywhere; concurrent writes to one
# key end with the same winner on every node; kill -9 in the middle of a
# stream of writes loses no acknowledged one and the node's dots go on
# where they were; SIGTERM ends rumord cleanly, it will not start without
# the module's instance, and it follows that instance going down and up
# under it; deliveries it must refuse are counted, not applied. A node
# whose rumord was down during writes catches up when it comes back; a
# value larger than a datagram reaches everyone by reference; a rumord
# that lost notifications (ENOBUFS) repairs; the cluster cut in two halves
# that write apart converges when healed.
#
#   h1 10.9.0.2 ---+
#   h2 10.9.0.3 ---+--- br0 (namespace h-br)
#   ...            |
#   h16 10.9.0.17 -+
#
# Each rumord keeps its state in $TMP/hN-state-$SUFFIX (the suffix lets
# teardown_nodes find it), listens on its namespace's default socket
# (/run/rumord/NETNS.sock, which `rumorctl -n NETNS kv` finds by itself)
# and logs to $TMP/rumord.hN.log. The first cases run without automatic
# anti-entropy sessions (--repair-interval 0, when rumord has them): what
# they check, the broadcast alone must do.
#
# Starting a process costs about 0.1 s in a TCG guest, so the helpers ask
# each rumord once per look and keep what they already saw.

source "$(dirname "$0")/lib.sh"

RUMORD=$BUILD/rumord
N=16
NODES=$(for i in $(seq 1 $N); do echo -n "h$i "; done)
SESSIONS=
"$RUMORD" --help 2>/dev/null | grep -q -- --repair-interval && SESSIONS=1
# Broadcast only: no session hides a write the broadcast lost.
RUMORD_OPTS=${SESSIONS:+--repair-interval 0}

# ---- rumord on a node: selftests/lib/rumord_net.sh ----

source "$REPO/selftests/lib/rumord_net.sh"

# ---- what the nodes hold ----

# (node, key, value) triples already read back, so a retry asks only for
# what was missing. wait_for runs its command in this shell: they stay.
declare -A SEEN

# kv_everywhere KEY VALUE: every node's `kv get KEY` prints VALUE.
kv_everywhere() {
	local key=$1 want=$2 n got
	for n in $NODES; do
		[ -n "${SEEN[$n $key $want]:-}" ] && continue
		got=$(rctl "$n" kv get "$key" 2>/dev/null) || return 1
		[ "$got" = "$want" ] || return 1
		SEEN[$n $key $want]=1
	done
}

# kv_file_everywhere FILE: every "KEY VALUE" line of FILE, on every node.
kv_file_everywhere() {
	local key value
	while read -r key value; do
		kv_everywhere "$key" "$value" </dev/null || return 1
	done <"$1"
}

# gone_everywhere KEY: every node says there is no KEY.
gone_everywhere() {
	local n out
	for n in $NODES; do
		[ -n "${SEEN[$n $1 -]:-}" ] && continue
		out=$(rctl "$n" kv get "$1" 2>&1) && return 1
		[ "$out" = "rumorctl: kv get: $1: no such key" ] || return 1
		SEEN[$n $1 -]=1
	done
}

# listed_everywhere FILE PREFIX NODES...: every line of FILE
# ("KEY<TAB>VALUE") is in every node's `kv list PREFIX`.
listed_everywhere() {
	local file=$1 prefix=$2 n out line
	shift 2
	for n in "$@"; do
		[ -n "${SEEN[$n $file]:-}" ] && continue
		out=$(rctl "$n" kv list "$prefix" 2>/dev/null) || return 1
		while IFS= read -r line; do
			[[ $'\n'$out$'\n' == *$'\n'"$line"$'\n'* ]] || return 1
		done <"$file"
		SEEN[$n $file]=1
	done
}

# lists_identical PREFIX NODES...: `kv list -j PREFIX` is the same on
# all of them, versions included; that list is left in $TMP/list.
lists_identical() {
	local prefix=$1 n out first=
	shift
	for n in "$@"; do
		out=$(rctl "$n" -j kv list ${prefix:+"$prefix"} 2>/dev/null) || return 1
		if [ -z "$first" ]; then
			first=$out
		else
			[ "$out" = "$first" ] || return 1
		fi
	done
	echo "$first" >"$TMP/list"
}

# The list as "KEY VALUE" lines, in key order.
list_pairs() {
	jq -r '.[] | "\(.key) \(.value)"' "$TMP/list"
}

# ---- the cases ----

setup() {
	local n t0 t1 t2 t3
	[ -x "$RUMORD" ] || fail "$RUMORD is not built (make)"
	stamp t0
	bridge_add h $N
	stamp t1
	# The rumords start while the overlay forms: they need the instance
	# up, not the overlay.
	for n in $NODES; do rumord_spawn "$n"; done
	converged 30 $NODES
	stamp t2
	for n in $NODES; do rumord_up "$n"; done
	stamp t3
	diag "cluster up in $((t1 - t0)) ms; overlay converged and 16 rumords started $((t2 - t1)) ms later, all answering after $((t3 - t1)) ms${SESSIONS:+ (sessions off: $RUMORD_OPTS)}"
	# Each its own store: 16 node ids.
	for n in $NODES; do
		rctl "$n" -j kv put "hello/$n" "$n"
	done >"$TMP/hello"
	expect_eq "distinct rumord node ids" \
		"$(grep -o '"node":"[0-9a-f]*"' "$TMP/hello" | sort -u | wc -l)" $N
}

# Puts on random nodes, a value replaced and a key deleted on others:
# every node's kv get returns each value (and no deleted key), and all 16
# list the same records, versions included.
test_write_anywhere() {
	local i from t0 t1 t2
	: >"$TMP/expect"
	stamp t0
	for i in 1 2 3 4; do
		from=h$((RANDOM % N + 1))
		rctl "$from" kv put "app/k$i" "value $i from $from"
		echo "app/k$i value $i from $from" >>"$TMP/expect"
	done
	from=h$((RANDOM % N + 1))
	rctl "$from" kv put app/k2 "replaced on $from"
	sed -i "s|^app/k2 .*|app/k2 replaced on $from|" "$TMP/expect"
	from=h$((RANDOM % N + 1))
	rctl "$from" kv del app/k3
	sed -i '/^app\/k3 /d' "$TMP/expect"
	stamp t1
	wait_for 30 kv_file_everywhere "$TMP/expect" ||
		fail "not every node reads every put"
	wait_for 20 gone_everywhere app/k3 ||
		fail "the delete of app/k3 on $from did not reach every node"
	stamp t2
	diag "4 puts, a replacement and a delete on random nodes in $((t1 - t0)) ms; every node's kv get agreed $((t2 - t1)) ms after the last (64 gets)"
	wait_for 20 lists_identical app/ $NODES || fail "kv list -j app/ differs between nodes"
	expect_eq "records listed" "$(list_pairs)" "$(sort "$TMP/expect")"
	diag "kv list -j identical on all 16 nodes: $(jq length "$TMP/list") records, the deleted one not among them"
}

# Several nodes write one key at the same moment: every node ends with the
# write that is largest by (timestamp, node id).
test_concurrent_writes() {
	local round n writers pids
	writers="h2 h5 h7 h9 h11 h13 h15 h16"
	for round in 1 2 3; do
		pids=()
		for n in $writers; do
			rctl "$n" -j kv put "race/$round" "$n wins round $round" \
				>"$TMP/race.$round.$n" &
			pids+=($!)
		done
		for n in "${pids[@]}"; do wait "$n" || fail "a concurrent put failed"; done
	done
	# The winners by (hlc, node id).
	python3 - "$TMP" $writers >"$TMP/race.expect" <<'PY'
import json, sys
tmp, writers = sys.argv[1], sys.argv[2:]
for r in (1, 2, 3):
    v = {n: json.load(open("%s/race.%d.%s" % (tmp, r, n))) for n in writers}
    win = max(writers, key=lambda n: (int(v[n]["hlc"]), int(v[n]["node"], 16)))
    hlcs = sorted(int(x["hlc"]) for x in v.values())
    sys.stderr.write("race/%d: %d writers, timestamps within %d ms (%d distinct); "
                     "%s wins\n" % (r, len(writers), (hlcs[-1] - hlcs[0]) >> 16,
                                    len(set(hlcs)), win))
    print("race/%d %s wins round %d" % (r, win, r))
PY
	# The same record (value and version) for every key on every node.
	wait_for 30 lists_identical race/ $NODES || fail "kv list -j race/ differs between nodes"
	expect_eq "winners on every node" "$(list_pairs)" "$(cat "$TMP/race.expect")"
}

# A stream of puts on h5 from three clients; rumord killed with SIGKILL
# in the middle of it, then restarted on its state directory.
VICTIM=h5

# writer W: puts kill/W/1, 2, ... on the victim until told to stop;
# acknowledged ones (rumorctl exited 0) in $TMP/acked.W, the others in
# $TMP/refused.W, versions in $TMP/ver.W.
writer() {
	local w=$1 i=0
	while [ ! -e "$TMP/stop-writers" ] && [ $i -lt 2000 ]; do
		i=$((i + 1))
		if rctl $VICTIM -j kv put "kill/$w/$i" "$w $i" >>"$TMP/ver.$w" 2>/dev/null; then
			printf 'kill/%s/%s\t%s %s\n' "$w" "$i" "$w" "$i" >>"$TMP/acked.$w"
		else
			echo "kill/$w/$i" >>"$TMP/refused.$w"
		fi
	done
}

acked_count() { cat "$TMP"/acked.? 2>/dev/null | wc -l; }
refused_count() { cat "$TMP"/refused.? 2>/dev/null | wc -l; }

test_kill9() {
	local node_id w pids=() before after last seen now t0 t1 others=""
	node_id=$(rctl $VICTIM -j kv put kill/before x | jq -r .node)
	for w in 1 2 3; do
		writer "$w" &
		pids+=($!)
	done
	wait_for 60 at_least 30 acked_count || fail "the writers got only $(acked_count) puts through"
	rumord_stop $VICTIM KILL
	# The writers go on against the dead rumord for a moment. Once each
	# was refused, every put acknowledged before the kill is on record.
	wait_for 20 test -s "$TMP/refused.1" -a -s "$TMP/refused.2" -a -s "$TMP/refused.3" ||
		fail "the writers never noticed rumord die"
	before=$(acked_count)
	wait_for 20 at_least 6 refused_count || fail "the writers stopped"
	touch "$TMP/stop-writers"
	for w in "${pids[@]}"; do wait "$w"; done
	after=$(acked_count)
	expect_eq "puts acknowledged after the kill" "$after" "$before"
	cat "$TMP"/acked.? | sort >"$TMP/acked"
	last=$(cat "$TMP"/ver.? | jq -s 'map(.counter) | max')
	diag "$after puts acknowledged before kill -9, $(refused_count) refused after it; highest counter acknowledged $last"

	stamp t0
	rumord_spawn $VICTIM
	rumord_up $VICTIM
	stamp t1
	diag "rumord on $VICTIM answering again $((t1 - t0)) ms after the restart"
	# Every acknowledged put is on the restarted node...
	rctl $VICTIM kv list kill/ | sort >"$TMP/held"
	comm -23 "$TMP/acked" "$TMP/held" >"$TMP/missing"
	[ ! -s "$TMP/missing" ] ||
		fail "$(wc -l <"$TMP/missing") acknowledged puts missing after the restart: $(head -n3 "$TMP/missing" | tr '\n\t' '  ')"
	diag "$VICTIM holds all $after acknowledged puts; $(($(wc -l <"$TMP/held") - 1 - after)) more committed but not acknowledged"
	# Those may have died before their broadcast: only a session could
	# carry them. Deleted (a broadcast tombstone), they do not stand
	# between the nodes' lists later.
	comm -13 "$TMP/acked" "$TMP/held" | grep -v ^kill/before | cut -f1 >"$TMP/unacked" || true
	while read -r w; do rctl $VICTIM kv del "$w"; done <"$TMP/unacked"
	# ... and, broadcast before they were acknowledged, on every other node.
	for w in $NODES; do [ $w = $VICTIM ] || others+="$w "; done
	wait_for 30 listed_everywhere "$TMP/acked" kill/ $others ||
		fail "acknowledged puts from $VICTIM missing on other nodes"

	# The same node id, and dots going on above the highest it ever used
	# (committed, acknowledged or not, so possibly broadcast).
	rctl $VICTIM -j kv list kill/ >"$TMP/kill.list"
	seen=$(jq --arg id "$node_id" '[.[] | select(.node == $id) | .counter] | max' "$TMP/kill.list")
	rctl $VICTIM -j kv put after/kill "still $VICTIM" >"$TMP/after"
	expect_eq "node id after the restart" "$(jq -r .node "$TMP/after")" "$node_id"
	now=$(jq -r .counter "$TMP/after")
	[ "$now" -gt "$seen" ] && [ "$now" -gt "$last" ] ||
		fail "counter $now after the restart, but $seen was used and $last acknowledged: a dot reused"
	diag "after the restart: node $node_id, counter $now (highest used before: $seen)"
	# A reused dot would be dropped as already seen: the others take it.
	wait_for 20 kv_everywhere after/kill "still $VICTIM" ||
		fail "the others did not take $VICTIM's first write after the restart"
}

# The module's active view as rumord knows it (its session peers), and
# as the module has it: addresses, one a line, sorted.
rumord_view() {
	rctl "$1" -j repair status | jq -r '.peers[] | select(.known) | .address' | sort
}

module_view() {
	rctl "$1" -j show peers | jq -r '.active[].addr | sub(":[0-9]+$"; "")' | sort
}

# NODE's instance has neighbours, and its rumord knows exactly those.
views_agree() {
	local m
	m=$(module_view "$1")
	[ -n "$m" ] && [ "$m" = "$(rumord_view "$1")" ]
}

# SIGTERM: exit status 0, socket removed. No instance: a clear refusal.
# The instance going down and up under a running rumord: writes go on,
# the broadcast comes back, and rumord's active view is the new one.
test_sigterm_and_instance() {
	local n=h16 pid rc out want before after old_id new_id
	# The cluster's rumord (not a child of ours: its end is seen, not its status).
	[ -S "$(sock_of $n)" ] || fail "no socket $(sock_of $n)"
	rumord_stop $n TERM
	[ ! -e "$(sock_of $n)" ] || fail "socket $(sock_of $n) left behind"
	grep -q "shutting down" "$TMP/rumord.$n.log" ||
		fail "no shutdown line in the log: $(tail -n2 "$TMP/rumord.$n.log")"

	# One of our own, to see its exit status.
	rumord_spawn $n
	read -r pid <"$TMP/pid.$n"
	rumord_up $n
	expect_eq "hello/$n after a restart" "$(rctl $n kv get "hello/$n")" "$n"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	expect_eq "rumord exit status on SIGTERM" "$rc" 0
	[ ! -e "$(sock_of $n)" ] || fail "socket $(sock_of $n) left behind"
	grep -q "stats: records" "$TMP/rumord.$n.log" || fail "no counters logged at exit"
	diag "SIGTERM: exit status 0, socket removed, counters logged"

	# No instance in the namespace: one line, exit status 1, no socket.
	want="1: rumord: the rumor instance is not up in this network namespace (rumorctl up)"
	node_add lonely
	rc=0
	out=$(ip netns exec "$(nsname lonely)" "$RUMORD" --state "$TMP/lonely-state" 2>&1) || rc=$?
	expect_eq "rumord where rumor never ran" "$rc: $out" "$want"
	rctl lonely up
	rctl lonely down
	rc=0
	out=$(ip netns exec "$(nsname lonely)" "$RUMORD" --state "$TMP/lonely-state" 2>&1) || rc=$?
	expect_eq "rumord after rumorctl down" "$rc: $out" "$want"
	[ ! -e "$(sock_of lonely)" ] || fail "the refused rumord left a socket"
	diag "instance down: exit status $rc, ${out#*: }"

	# Down and up again under a running rumord.
	rumord_spawn $n
	rumord_up $n
	[ -z "$SESSIONS" ] || before=$(rumord_view $n | wc -l)
	old_id=$(rctl $n -j show | jq -r .node_id)
	rctl $n down
	# The module says so (INSTANCE_DOWN), and rumord logs it.
	wait_for 10 grep -q "rumor instance down (node $old_id)" "$TMP/rumord.$n.log" ||
		fail "rumord did not hear of the instance going down: $(tail -n2 "$TMP/rumord.$n.log")"
	rctl $n kv put down/$n "written while the instance was down" ||
		fail "a put with the instance down was refused"
	rctl $n up $FAST
	new_id=$(rctl $n -j show | jq -r .node_id)
	wait_for 10 grep -q "rumor instance up: node $new_id" "$TMP/rumord.$n.log" ||
		fail "rumord did not hear of the instance coming up: $(tail -n2 "$TMP/rumord.$n.log")"
	rctl $n join 10.9.0.2
	if [ -n "$SESSIONS" ]; then
		wait_for 20 views_agree $n ||
			fail "rumord's view of $n's neighbours [$(rumord_view $n | tr '\n' ' ')] is not the module's [$(module_view $n | tr '\n' ' ')]"
		diag "instance restarted: rumord's view went from $before neighbours to the new instance's $(module_view $n | wc -l)"
	fi
	rctl $n kv put back/$n "from $n again"
	rctl h1 kv put welcome/$n "welcome back"
	wait_for 20 kv_everywhere back/$n "from $n again" ||
		fail "a write on $n after its instance came back did not reach every node"
	wait_for 20 kv_everywhere welcome/$n "welcome back" ||
		fail "a write on h1 after $n's instance came back did not reach it"
	alive "$(<"$TMP/pid.$n")" || fail "rumord on $n died"
	# The write the broadcast could not carry: a delete (which it can
	# carry) keeps the lists comparable.
	rctl $n kv del down/$n
}

# Anti-entropy: a rumord that was down while the others wrote catches up
# when it starts again (its startup asks for a session).
test_catch_up() {
	local n=h9 i t0 t1
	[ -n "$SESSIONS" ] || { echo "rumord has no anti-entropy sessions"; return $KSFT_SKIP; }
	rumord_stop $n TERM
	: >"$TMP/missed"
	for i in 1 2 3 4 5; do
		rctl "h$i" kv put "missed/$i" "written while $n was down"
		printf 'missed/%s\twritten while %s was down\n' "$i" $n >>"$TMP/missed"
	done
	rctl h1 kv del app/k1
	stamp t0
	rumord_spawn $n --repair-interval 2
	rumord_up $n
	wait_for 30 listed_everywhere "$TMP/missed" missed/ $n ||
		fail "$n did not catch up: $(rctl $n kv list missed/ | wc -l) of 5 writes"
	wait_for 10 gone_everywhere app/k1 || fail "$n did not learn of the delete"
	stamp t1
	diag "$n caught up with 5 puts and a delete $((t1 - t0)) ms after its rumord started"
	wait_for 20 lists_identical "" $NODES || fail "kv list -j differs between nodes"
	diag "kv list -j identical on all 16 nodes: $(jq length "$TMP/list") records"
}

# rumord_restart_all OPTIONS...: every rumord again, with OPTIONS after
# the usual ones.
rumord_restart_all() {
	local n
	rumord_stop_all
	for n in $NODES; do rumord_spawn "$n" "$@"; done
	for n in $NODES; do rumord_up "$n"; done
}

# One field of NODE's `repair status -j`.
repair_field() {
	rctl "$1" -j repair status | jq -r ".$2"
}

# Sessions only on request: the first periodic round is 8 minutes away.
ON_REQUEST="--repair-interval 600"

# A value larger than a datagram goes by reference: every other node
# fetches it over TCP from the node that passed the reference on (which
# may have to fetch it first), with no periodic session to help.
test_by_reference() {
	local n t0 t1 fetched=0 big
	[ -n "$SESSIONS" ] || { echo "rumord has no anti-entropy sessions"; return $KSFT_SKIP; }
	rumord_restart_all $ON_REQUEST
	big=$(head -c 3000 /dev/zero | tr '\0' r)
	stamp t0
	rctl h4 kv put ref/big "$big"
	wait_for 30 kv_everywhere ref/big "$big" ||
		fail "the 3000-byte value did not reach every node"
	stamp t1
	for n in $NODES; do
		[ "$n" = h4 ] && continue
		expect_eq "refs awaited and abandoned on $n" \
			"$(rctl "$n" -j repair status | jq -c '[.refs_awaited, .refs_abandoned]')" "[0,0]"
		fetched=$((fetched + $(repair_field "$n" refs_fetched)))
	done
	expect_eq "values by reference fetched" $fetched 15
	diag "a 3000-byte value (max-payload 1200) by reference on all 16 nodes $((t1 - t0)) ms after the put; 15 fetched over TCP, none abandoned, no periodic session"
}

# A rumord that stops reading its netlink socket loses deliveries
# (ENOBUFS); it notices and a session repairs what it lost.
test_netlink_overrun() {
	local n=h7 i pid lost t0 t1 val
	[ -n "$SESSIONS" ] || { echo "rumord has no anti-entropy sessions"; return $KSFT_SKIP; }
	rumord_stop $n
	rumord_spawn $n $ON_REQUEST --netlink-buffer 4
	rumord_up $n
	read -r pid <"$TMP/pid.$n"
	val=$(head -c 1000 /dev/zero | tr '\0' o)
	: >"$TMP/overrun"
	kill -STOP "$pid"
	for i in $(seq 1 30); do
		rctl h1 kv put "overrun/$i" "$i $val"
		printf 'overrun/%s\t%s %s\n' "$i" "$i" "$val" >>"$TMP/overrun"
	done
	stamp t0
	kill -CONT "$pid"
	wait_for 30 listed_everywhere "$TMP/overrun" overrun/ $n ||
		fail "$n holds $(rctl $n kv list overrun/ | wc -l) of 30 writes made while it was stopped"
	stamp t1
	lost=$(repair_field $n netlink_lost)
	expect_gt "ENOBUFS noticed on $n" "$lost" 0
	diag "$n stopped with a 4 KiB netlink buffer during 30 writes: $lost losses noticed, all 30 there $((t1 - t0)) ms after it went on"
}

# The cluster cut in two halves (VLANs on the bridge): each side writes
# its own keys and conflicting values for shared ones, and deletes one.
# Healed (and joined again, see docs/rumord.md), every store is the same:
# the same Merkle root, the same list, the conflicts resolved alike.
HALF_A="h1 h2 h3 h4 h5 h6 h7 h8"
HALF_B="h9 h10 h11 h12 h13 h14 h15 h16"

# vlan_move PORT_NUMBERS FROM TO: those bridge ports leave VLAN FROM for TO.
vlan_move() {
	local i br
	br=$(nsname h-br)
	for i in $1; do
		ip netns exec "$br" bridge vlan add dev "p$i" vid "$3" pvid untagged
		ip netns exec "$br" bridge vlan del dev "p$i" vid "$2"
	done
}

halves_apart() {
	check_overlay $HALF_A >/dev/null && check_overlay $HALF_B >/dev/null
}

# none_of FILE NODES...: no key of FILE's "KEY<TAB>VALUE" lines on any of them.
none_of() {
	local file=$1 n key value out
	shift
	for n in "$@"; do
		out=$(rctl "$n" kv list part/) || return 1
		while read -r key value; do
			[[ $'\n'$out == *$'\n'"$key"$'\t'* ]] && return 1
		done <"$file"
	done
	return 0
}

# roots_identical NODES...: the same Merkle root and key count everywhere.
roots_identical() {
	local n root first=
	for n in "$@"; do
		root=$(rctl "$n" -j repair status | jq -r '"\(.merkle_entries) \(.merkle_root)"') || return 1
		[ -z "$first" ] && first=$root
		[ "$root" = "$first" ] || return 1
	done
	echo "$first" >"$TMP/root"
}

# put_j SIDE NODE KEY VALUE: a put, its version in $TMP/part.versions.
put_j() {
	rctl "$2" -j kv put "$3" "$4" | jq -c --arg side "$1" --arg k "$3" --arg v "$4" \
		'{side: $side, key: $k, value: $v, hlc, node}' >>"$TMP/part.versions"
}

# What the 16 schedulers did: sessions and their outcomes, and the
# distinct reasons sessions failed.
session_summary() {
	local n
	for n in $NODES; do rctl "$n" -j repair status; done | jq -sr '
		"\(map(.started) | add) started, \(map(.ok) | add) ok, \(map(.failed) | add) failed (\(map(.timed_out) | add) timed out), \(map(.busy) | add) busy; keys received \([.[].peers[].total_keys_received] | add); errors: \([.[].peers[].error | select(. != "")] | unique | join("; "))"'
}

test_partition_heal() {
	local i n t0 t1 t2 t3 t4 t5
	[ -n "$SESSIONS" ] || { echo "rumord has no anti-entropy sessions"; return $KSFT_SKIP; }
	rumord_restart_all --repair-interval 2
	rctl h1 kv put part/deleted "written before the cut"
	wait_for 20 kv_everywhere part/deleted "written before the cut" ||
		fail "the write before the cut did not reach every node"

	stamp t0
	ip netns exec "$(nsname h-br)" ip link set br0 type bridge vlan_filtering 1
	vlan_move "9 10 11 12 13 14 15 16" 1 2
	wait_for 30 halves_apart ||
		fail "the halves' overlays did not form apart: $(check_overlay $HALF_A | tail -n1); $(check_overlay $HALF_B | tail -n1)"
	stamp t1
	diag "cut: two overlays of 8 after $((t1 - t0)) ms"

	: >"$TMP/part.versions"
	: >"$TMP/part.a"
	: >"$TMP/part.b"
	for i in 1 2 3 4; do
		put_j a "h$((RANDOM % 8 + 1))" "part/a/$i" "side a $i"
		printf 'part/a/%s\tside a %s\n' $i $i >>"$TMP/part.a"
		put_j b "h$((RANDOM % 8 + 9))" "part/b/$i" "side b $i"
		printf 'part/b/%s\tside b %s\n' $i $i >>"$TMP/part.b"
	done
	# Conflicts: each side writes the same keys, in turns.
	for i in 1 2 3; do
		put_j a h2 "part/x/$i" "a's x$i"
		put_j b h12 "part/x/$i" "b's x$i"
	done
	put_j b h14 part/x/1 "b's x1 again"
	put_j a h6 part/x/2 "a's x2 again"
	# An overwrite on one side, a delete after it on the other.
	put_j b h10 part/deleted "overwritten on b"
	rctl h3 -j kv del part/deleted | jq -c '{side: "a", key: "part/deleted",
		value: null, hlc, node}' >>"$TMP/part.versions"

	# Each side has its own writes and none of the other's.
	wait_for 30 listed_everywhere "$TMP/part.a" part/a/ $HALF_A ||
		fail "side a's writes did not reach side a"
	none_of "$TMP/part.b" $HALF_A || fail "side b's writes reached side a through the cut"
	none_of "$TMP/part.a" $HALF_B || fail "side a's writes reached side b through the cut"
	[ "$(rctl h16 kv get part/x/3)" = "b's x3" ] || fail "h16 reads $(rctl h16 kv get part/x/3)"

	stamp t2
	vlan_move "9 10 11 12 13 14 15 16" 2 1
	# HyParView does not merge two full overlays by itself: one join does.
	rctl h9 join 10.9.0.2
	converged 30 $NODES >/dev/null || fail "the overlay did not merge after the heal"
	stamp t3
	wait_for 60 lists_identical part/ $NODES ||
		fail "kv list -j part/ differs between nodes 60 s after the heal: $(session_summary)"
	stamp t4
	# Equal roots wait for every node to collect the delete's tombstone.
	wait_for 150 roots_identical $NODES ||
		fail "Merkle roots differ 150 s after the lists agreed: $(session_summary)"
	stamp t5
	diag "healed: overlay merged in $((t3 - t2)) ms; every kv list the same $((t4 - t3)) ms later, every Merkle root $((t5 - t3)) ms later ($(cut -d' ' -f1 "$TMP/root") keys, root $(cut -d' ' -f2 "$TMP/root"))"
	diag "sessions since the restart: $(session_summary)"
	# The winners by (hlc, node id), deletes included.
	python3 - "$TMP/part.versions" >"$TMP/part.expect" <<'PY'
import json, sys
best = {}
for line in open(sys.argv[1]):
    w = json.loads(line)
    rank = (int(w["hlc"]), int(w["node"], 16))
    if w["key"] not in best or rank > best[w["key"]][0]:
        best[w["key"]] = (rank, w)
for k in sorted(best):
    w = best[k][1]
    sys.stderr.write("%s: side %s wins\n" % (k, w["side"]))
    if w["value"] is not None:
        print("%s %s" % (k, w["value"]))
PY
	expect_eq "the store after the heal" "$(list_pairs)" "$(cat "$TMP/part.expect")"
	lists_identical "" $NODES || fail "kv list -j differs between nodes"
}

# Writes crafted by a stranger and sent to h1 as GOSSIP, which h1's
# instance delivers and passes on to every node: one with a dot counter
# beyond 2^62 and one of a later version are refused as bad, one that is
# not rumord's is ignored, a good one from an unknown node is applied
# everywhere. The counters test checks the counts.
test_crafted_writes() {
	node h2 python3 - 10.9.0.2 <<'PY'
import socket, struct, sys, time

def gossip(seq, payload):
    body = struct.pack("!QQ", 0xC0FFEE, seq) + payload
    return struct.pack("!HBBHBBQ", 0x524D, 1, 1, 16 + len(body), 0, 0,
                       0x5742) + body

def write(key, value, node, counter, version=1):
    hlc = int(time.time() * 1000) << 16
    return struct.pack("<HBBHHIQQQ", 0x766B, version, 0, len(key), 0,
                       len(value), hlc, node, counter) + key + value

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for seq, p in enumerate([
        write(b"crafted/huge", b"x", 0xF00D, (1 << 64) - 1),
        write(b"crafted/v2", b"x", 0xF00D, 1, version=2),
        b"hello from rumorctl broadcast",
        write(b"crafted/ok", b"from a stranger", 0xF00D, 2)], 1):
    s.sendto(gossip(seq, p), (sys.argv[1], 7866))
PY
	wait_for 20 kv_everywhere crafted/ok "from a stranger" ||
		fail "the stranger's good write did not reach every node"
	expect_eq "crafted writes on h1" "$(rctl h1 kv list crafted/)" "crafted/ok	from a stranger"
	expect_eq "crafted writes on h16" "$(rctl h16 kv list crafted/)" "crafted/ok	from a stranger"
}

# What the rumords counted: nothing lost, malformed or failed. Counters
# are per process; each logs them when it ends (not after kill -9).
test_counters() {
	rumord_stop_all
	cat "$TMP"/rumord.h*.log | grep -o 'stats: .*' >"$TMP/stats" || true
	python3 - "$TMP/stats" <<'PY'
import sys
tot, rows = {}, 0
for line in open(sys.argv[1]):
    f = line.split()[1:]
    rows += 1
    for k, v in zip(f[0::2], f[1::2]):
        tot[k] = tot.get(k, 0) + int(v, 0)
print("counters summed over %d rumord runs: %s" % (rows, " ".join(
    "%s %d" % (k, v) for k, v in tot.items() if k not in ("records", "repairs_pending"))))
# Two crafted writes refused and one foreign payload, on each of 16
# nodes; one write made with h16's instance down was not broadcast; one
# value by reference on 15 nodes; losses only where the buffer was cut.
want = {"bad": 32, "foreign": 16, "broadcast_failed": 1,
        "failed": 0, "refs": 15}
got = {k: tot.get(k) for k in want}
if rows < 16 or got != want or not tot.get("lost"):
    print("FAIL: %d runs logged counters; got %s, want %s" % (rows, got, want))
    sys.exit(1)
PY
}

require_root
ktap_header 13
run_test module_load load_module
run_test setup setup
run_test write_anywhere test_write_anywhere
run_test concurrent_writes test_concurrent_writes
run_test kill9 test_kill9
run_test sigterm_and_instance test_sigterm_and_instance
run_test catch_up test_catch_up
run_test by_reference test_by_reference
run_test netlink_overrun test_netlink_overrun
run_test partition_heal test_partition_heal
run_test crafted_writes test_crafted_writes
run_test counters test_counters
rumord_stop_all
teardown_nodes
run_test module_unload unload_module
ktap_finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Five nodes on a ring of links, each with rumor.ko's instance and XDP
# attached, joining through node1; HyParView links them into an overlay
# and Plumtree grows a broadcast tree on it. Three broadcasts; then what
# every node delivered, one node's views and tree, and the XDP counters as
# bpftool shows them. Then a rumord on every node: a write read
# everywhere, a write with a consistency level, a sloppy quorum and its
# hinted handoff around a killed replica, a digest read, and every
# store's Merkle root equal.
#
#        node1 10.0.1.1
#       /              \
#   node5               node2        link i: node<i> 10.0.<i>.1
#     |                   |                  node<i+1> 10.0.<i>.2
#   node4 ------------- node3

# The selftests' helpers: namespaces, veth links, rumorctl per node.
source "$(dirname "$0")/../selftests/net/lib.sh"
set -e

NODES="node1 node2 node3 node4 node5"

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "Loading rumor.ko"
load_module
modinfo -F version "$MODULE" | sed 's/^/  version /'

say "Starting five nodes in a ring"
ring_add node 5 ipv4
converged 20 $NODES >/dev/null || true
for n in $NODES; do
	printf '  %s: node id %s, active view %s\n' "$n" \
		"$(rctl "$n" -j show | jq -r .node_id)" \
		"$(rctl "$n" -j show peers | jq -r '[.active[].addr] | join(", ")')"
done

say "Broadcasting three messages"
for n in $NODES; do monitor_start "$n"; done
rctl node1 broadcast "config: feature-x=on"
rctl node3 broadcast "service web at 10.0.3.1:80"
rctl node5 broadcast "member node6 joined"
for n in $NODES; do
	wait_for 20 at_least 2 delivery_count "$n" || true
done
quiesce $NODES
for n in $NODES; do monitor_stop "$n"; done

say "What every node delivered"
for n in $NODES; do
	echo "  $n:"
	jq -r '"    \(.payload)   (origin \(.origin) seq \(.seq), hops \(.hops), from \(.from))"' \
		<"$TMP/deliver.$n"
done

say "rumorctl show peers and tree on node1"
rctl node1 show peers | sed 's/^/  /'
rctl node1 tree | sed 's/^/  /'

say "XDP counters, as bpftool shows them"
pins=/sys/fs/bpf/rumor/netns/$(nsname node1)
echo "  \$ bpftool map dump pinned $pins/stats"
bpftool map dump pinned "$pins/stats" | sed 's/^/  /'
echo
echo "  Per node, summed over CPUs from 'bpftool -j map dump pinned .../stats'
  (packets include membership traffic; duplicates are dropped, notices
  passed so that Plumtree prunes; IHAVEs announcing nothing new dropped):"
printf '  %-6s %8s %8s %10s %8s %8s %10s %10s\n' node packets passed duplicate notices ihave redundant malformed
for n in $NODES; do
	bpftool -j map dump pinned "/sys/fs/bpf/rumor/netns/$(nsname "$n")/stats" |
		jq -r --arg n "$n" '(.[0].formatted // .[0]).values | map(.value) as $v | [$n,
			($v | map(.rumor_packets) | add),
			($v | map(.gossip_passed) | add),
			($v | map(.gossip_duplicate) | add),
			($v | map(.gossip_dup_notice) | add),
			($v | map(.ihave_messages) | add),
			($v | map(.ihave_redundant) | add),
			($v | map(to_entries[] | select(.key | startswith("malformed_")) | .value) | add)]
			| @tsv' |
		awk '{ printf "  %-6s %8s %8s %10s %8s %8s %10s %10s\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
done

say "Starting rumord, the replicated key/value store, on every node"
# rumord's helpers as the selftests have them: state in $TMP, logs in
# $TMP/rumord.NODE.log.
RUMORD=$BUILD/rumord
RUMORD_OPTS="--quorum-timeout 1"
source "$REPO/selftests/lib/rumord_net.sh"
for n in $NODES; do rumord_spawn "$n"; done
for n in $NODES; do rumord_up "$n"; done
members_up() {
	[ "$(rctl "$1" -j repair status | jq -r .members_up)" = 4 ]
}
for n in $NODES; do wait_for 20 members_up "$n" || true; done
echo "  \$ rumorctl nodes   (on node1: its membership, by heartbeats through rumor.ko)"
rctl node1 nodes | sed 's/^/  /'

say "A write on node1, read everywhere (broadcast through rumor.ko)"
value_is() { [ "$(rctl "$1" kv get "$2" 2>/dev/null)" = "$3" ]; }
rctl node1 kv put greeting "hello from node1"
for n in $NODES; do
	wait_for 10 value_is "$n" greeting "hello from node1" || true
	printf '  %s: kv get greeting -> %s\n' "$n" "$(rctl "$n" kv get greeting 2>&1)"
done

say "Consistency levels: a write acknowledged by 2 of its 3 replicas"
echo "  \$ rumorctl kv where app/config   (on node2)"
rctl node2 kv where app/config | sed 's/^/  /'
echo "  \$ rumorctl -j kv put app/config v1 --w 2"
rctl node2 -j kv put app/config v1 --w 2 | jq -c .quorum | sed 's/^/  /'

say "Sloppy quorum and hinted handoff: a replica's rumord is stopped"
declare -A name_of
for n in $NODES; do name_of[$(rctl "$n" -j nodes | jq -r '.[] | select(.self) | .node')]=$n; done
down= down_id=
for id in $(rctl node2 -j kv where app/config | jq -r '.[] | select(.preferred) | .node'); do
	if [ "${name_of[$id]}" != node2 ]; then
		down=${name_of[$id]} down_id=$id
		break
	fi
done
is_down() { rctl node2 -j nodes | jq -e ".[] | select(.node == \"$1\" and .state == \"down\")" >/dev/null; }
rumord_stop "$down" TERM
wait_for 10 is_down "$down_id" || true
echo "  stopped $down's rumord (SIGTERM: it says it is leaving); node2 has it down:"
rctl node2 kv where app/config | sed 's/^/  /'
echo "  \$ rumorctl -j kv put app/config v2 --w 3   (3 acknowledgements, one from a stand-in)"
rctl node2 -j kv put app/config v2 --w 3 | jq -c .quorum | sed 's/^/  /'
standin=${name_of[$(rctl node2 -j kv where app/config | jq -r '[.[] | select(.stand_in)][0].node')]}
echo "  \$ rumorctl hints   (on $standin, the stand-in)"
rctl "$standin" hints | sed 's/^/  /'
rumord_spawn "$down"
rumord_up "$down"
wait_for 15 value_is "$down" app/config v2 || true
printf '  %s restarted: kv get app/config -> %s; %s replayed %s hint(s)\n' "$down" \
	"$(rctl "$down" kv get app/config 2>&1)" "$standin" \
	"$(rctl "$standin" -j hints | jq -r .replayed)"

say "A digest read of 3 replicas (one value, two digests)"
echo "  \$ rumorctl -j kv get app/config --r 3   (on node4)"
rctl node4 -j kv get app/config --r 3 | jq -c '{value, quorum}' | sed 's/^/  /'

say "Anti-entropy: every store's Merkle root"
roots_equal() {
	local n r
	: >"$TMP/roots"
	for n in $NODES; do
		r=$(rctl "$n" -j repair status | jq -r '"\(.merkle_root) \(.merkle_entries)"')
		echo "$n $r" >>"$TMP/roots"
	done
	[ "$(cut -d' ' -f2 "$TMP/roots" | sort -u | wc -l)" = 1 ]
}
wait_for 30 roots_equal || true
awk '{ printf "  %s: %s (%s keys)\n", $1, $2, $3 }' "$TMP/roots"

# Three messages from node1, node3 and node5: the others get all three.
ok=true
for n in $NODES; do
	want=3
	case $n in node1|node3|node5) want=2 ;; esac
	got=$(jq -r .payload <"$TMP/deliver.$n" | sort -u | wc -l)
	[ "$(delivery_count "$n")" = "$want" ] && [ "$got" = "$want" ] || ok=false
done
kv_ok=true
for n in $NODES; do
	value_is "$n" greeting "hello from node1" || kv_ok=false
done
value_is "$down" app/config v2 && roots_equal || kv_ok=false
if $ok && $kv_ok; then
	say "Done: every node delivered each message it did not send, exactly once; every rumord holds every write and the same Merkle root."
else
	$ok || say "Something is wrong: a node missed a message or delivered one twice."
	$kv_ok || say "Something is wrong: the rumords do not hold the same writes."
	exit 1
fi
rumord_stop_all
teardown_nodes
unload_module

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Five nodes on a ring of links, each with rumor.ko's instance and XDP
# attached, joining through node1; HyParView links them into an overlay
# and Plumtree grows a broadcast tree on it. Three broadcasts; then what
# every node delivered, one node's views and tree, and the XDP counters as
# bpftool shows them.
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

# Three messages from node1, node3 and node5: the others get all three.
ok=true
for n in $NODES; do
	want=3
	case $n in node1|node3|node5) want=2 ;; esac
	got=$(jq -r .payload <"$TMP/deliver.$n" | sort -u | wc -l)
	[ "$(delivery_count "$n")" = "$want" ] && [ "$got" = "$want" ] || ok=false
done
if $ok; then
	say "Done: every node delivered each message it did not send, exactly once."
else
	say "Something is wrong: a node missed a message or delivered one twice."
	exit 1
fi
teardown_nodes
unload_module

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The control plane: rumorctl's errors, the module's extack messages,
# permissions, namespaces coming and going, and module load/unload with
# instances up.

source "$(dirname "$0")/lib.sh"

# check_error EXPECTED_TEXT COMMAND...: fails with one line that says so.
check_error() {
	local want=$1 out rc
	shift
	out=$("$@" 2>&1) && fail "'$*' succeeded"
	rc=$?
	[ "$(wc -l <<<"$out")" -eq 1 ] || fail "'$*' printed more than one line: $out"
	grep -qF -- "$want" <<<"$out" || fail "'$*' said '$out', expected '$want'"
	echo "$* -> $rc: $out"
}

test_module_missing() {
	grep -q '^rumor ' /proc/modules && rmmod rumor
	check_error "rumor.ko is not loaded" "$RUMORCTL" show
}

test_cli_errors() {
	check_error "unknown command 'frobnicate'" "$RUMORCTL" frobnicate
	check_error "bad port '0'" "$RUMORCTL" up port 0
	check_error "bad port '70000'" "$RUMORCTL" up port 70000
	check_error "bad bind address '10.0.0'" "$RUMORCTL" up bind 10.0.0
	check_error "bad address '300.1.1.1'" "$RUMORCTL" join 300.1.1.1
	check_error "bad address '[fe80::1'" "$RUMORCTL" join '[fe80::1'
	check_error "expected one ADDR[:PORT]" "$RUMORCTL" join
	check_error "bad active-size 'five'" "$RUMORCTL" up active-size five
	check_error "unknown argument 'bogus'" "$RUMORCTL" monitor bogus
	check_error "unknown argument 'colour'" "$RUMORCTL" up colour blue
	check_error "network namespace 'nope-$SUFFIX'" "$RUMORCTL" -n "nope-$SUFFIX" show
	# Usage errors exit 2, failures 1.
	"$RUMORCTL" up port 0 2>/dev/null || expect_eq "usage exit" $? 2
}

test_extack_messages() {
	node_add x
	rctl x up max-payload 100
	check_error "already up" rctl x up
	check_error "larger than max-payload (100 bytes)" \
		rctl x broadcast "$(printf '%0101d' 0)"
	rctl x broadcast "$(printf '%0100d' 0)" >/dev/null
	rctl x join 10.9.9.9
	rctl x join 10.9.9.9:7866		# the same contact again: a new JOIN
	check_error "not a contact" rctl x forget 10.9.9.8
	rctl x forget 10.9.9.9
	rctl x down
	check_error "rumor is down" rctl x down
	check_error "rumor is down" rctl x broadcast hi
	check_error "rumor is down" rctl x join 10.9.9.9

	# Each parameter's range, then combinations, named by the kernel.
	check_error "active_size must be between 1 and 64" rctl x up active-size 0
	check_error "max_payload must be between 0 and 65475" rctl x up max-payload 70000
	check_error "failure timeout must be longer than the ping interval" \
		rctl x up ping-interval 2000 fail-timeout 1000
	check_error "passive random walk must not be longer" rctl x up arwl 2 prwl 3

	# An IPv4-bound instance cannot reach IPv6 contacts.
	ip -n "$(nsname x)" addr add 10.7.0.1/24 dev lo
	rctl x up bind 10.7.0.1 port 7000
	check_error "does not match the bind address" rctl x join fd00::1
	rctl x down

	check_error "not a local address" rctl x up bind 192.0.2.1
}

test_port_in_use() {
	node_add y
	node y python3 -c 'import socket,time; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 7866)); open("'"$TMP"'/bound","w"); time.sleep(30)' &
	BACKGROUND+=($!)
	wait_for 10 test -e "$TMP/bound"
	check_error "UDP port 7866 is already in use" rctl y up
	rctl y up port 7867
	rctl y -j show | jq -e '.port == 7867' >/dev/null
}

# Without 'port', XDP watches the port this namespace's instance uses.
test_xdp_follows_instance_port() {
	node_add p
	rctl p up port 7999
	expect_eq "XDP port" "$(rctl p -j xdp attach dev lo | jq .port)" 7999
	rctl p xdp detach dev lo
	rctl p down
	expect_eq "XDP port when down" "$(rctl p -j xdp attach dev lo | jq .port)" 7866
	rctl p xdp detach dev lo
}

# rumorctl up and down announce the instance on the events group, in
# order, with its node id and port.
test_instance_events() {
	local mon id1 id2 want
	node_add ev
	"$RUMORCTL" -n "$(nsname ev)" -j monitor events count 4 timeout 30 \
		ready "$TMP/ev.ready" >"$TMP/ev.events" 2>&1 &
	mon=$!
	wait_for 10 test -e "$TMP/ev.ready" || fail "the monitor did not start"
	rctl ev up port 7901
	id1=$(rctl ev -j show | jq -r .node_id)
	rctl ev down
	rctl ev up port 7902
	id2=$(rctl ev -j show | jq -r .node_id)
	rctl ev down
	wait "$mon" || fail "monitor: $(cat "$TMP/ev.events")"
	want=$(printf '%s\n' \
		"instance_up $id1 7901" "instance_down $id1 7901" \
		"instance_up $id2 7902" "instance_down $id2 7902")
	expect_eq "instance events" \
		"$(jq -r '"\(.event) \(.node_id) \(.port)"' "$TMP/ev.events")" "$want"
}

test_contacts_bound() {
	local i
	node_add z
	rctl z up
	for i in $(seq 1 16); do
		"$RUMORCTL" -n "$(nsname z)" join "10.$i.0.1" || return 1
	done
	check_error "too many contacts (16)" rctl z join 10.99.0.1
	expect_eq "contacts" "$(rctl z -j show peers | jq '.contacts | length')" 16
}

test_unprivileged() {
	local nobody="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
	check_error "permission denied" $nobody "$RUMORCTL" show
	check_error "permission denied" $nobody "$RUMORCTL" up
	check_error "permission denied" $nobody "$RUMORCTL" broadcast hi
	check_error "permission denied" $nobody "$RUMORCTL" monitor timeout 1
}

# The owner of a user namespace administers the instance of a network
# namespace it owns: rumor in an unprivileged container.
test_userns_container() {
	local nobody="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
	if ! $nobody unshare -Urn true 2>/dev/null; then
		echo "unprivileged user namespaces are disabled"
		return $KSFT_SKIP
	fi
	$nobody unshare -Urn sh -c "ip link set lo up && $RUMORCTL up &&
		$RUMORCTL join 127.0.0.1:7999 && $RUMORCTL -j show" >"$TMP/userns"
	jq -e '.state == "up" and (.contacts | length) == 1' <"$TMP/userns" >/dev/null
}

downs() {
	dmesg | grep -c 'rumor: down in netns'
}

# Deleting a namespace takes its instance down with it.
test_netns_delete() {
	local before after n
	before=$(dmesg | grep -c 'rumor: down in netns')
	for n in d1 d2 d3; do
		node_add "$n"
		rctl "$n" up
		rctl "$n" join 127.0.0.1:7000
		rctl "$n" broadcast x >/dev/null
	done
	for n in d1 d2 d3; do ip netns del "$(nsname "$n")"; done
	wait_for 20 at_least $((before + 3)) downs
	after=$(dmesg | grep -c 'rumor: down in netns')
	expect_eq "instances taken down" $((after - before)) 3
}

# rmmod with instances up in several namespaces, and again, and again.
test_reload_with_instances() {
	local round n
	for round in 1 2 3; do
		for n in "l1r$round" "l2r$round" "l3r$round"; do
			node_add "$n"
			rctl "$n" up
			rctl "$n" join 127.0.0.1:7000
		done
		# Dedup state exists in each: the slab cache must empty on unload.
		for n in "l1r$round" "l2r$round" "l3r$round"; do
			node "$n" "$REPO/selftests/net/rumor_send.py" valid 127.0.0.1 \
				--sport 7000 --count 5
		done
		rmmod rumor
		! grep -q '^rumor ' /proc/modules
		insmod "$MODULE"
		for n in "l1r$round" "l2r$round" "l3r$round"; do
			expect_eq "state after reload" "$(rctl "$n" -j show | jq -r .state)" down
		done
	done
}

require_root
ktap_header 13
run_test module_missing test_module_missing
run_test cli_errors test_cli_errors
run_test module_load load_module
run_test extack_messages test_extack_messages
run_test port_in_use test_port_in_use
run_test xdp_follows_instance_port test_xdp_follows_instance_port
run_test instance_events test_instance_events
run_test contacts_bound test_contacts_bound
run_test unprivileged_eperm test_unprivileged
run_test userns_container test_userns_container
run_test netns_delete_tears_down test_netns_delete
run_test reload_with_instances test_reload_with_instances
teardown_nodes
run_test module_unload unload_module
ktap_finish

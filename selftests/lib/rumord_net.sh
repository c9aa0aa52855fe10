# SPDX-License-Identifier: GPL-2.0
#
# A rumord on each node of a network selftest (selftests/net/rumord.sh,
# quorum.sh), after selftests/net/lib.sh. The sourcing script sets RUMORD
# (the binary), NODES (every node's name) and RUMORD_OPTS (options every
# rumord gets first). Each rumord keeps its state in $TMP/NODE-state-$SUFFIX,
# its pid in $TMP/pid.NODE, and logs to $TMP/rumord.NODE.log.

state_dir() { echo "$TMP/$1-state-$SUFFIX"; }
sock_of() { echo "/run/rumord/$(nsname "$1").sock"; }

# Milliseconds since the epoch into variable $1, without a process.
stamp() {
	local t=${EPOCHREALTIME//[.,]/}
	printf -v "$1" %d $((t / 1000))
}

# alive PID: running, not gone and not a zombie (orphans wait to be reaped).
alive() {
	local stat
	{ read -r stat </proc/"$1"/stat; } 2>/dev/null || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

dead() { ! alive "$1"; }

# rumord_spawn NODE [OPTIONS...]: NODE's rumord in the background in the
# node's namespace; its pid in $TMP/pid.NODE. Not through node(): $! must
# be rumord itself (ip netns exec execs it), not a subshell.
rumord_spawn() {
	local n=$1
	shift
	echo "--- start $*" >>"$TMP/rumord.$n.log"
	ip netns exec "$(nsname "$n")" "$RUMORD" --state "$(state_dir "$n")" \
		$RUMORD_OPTS "$@" >>"$TMP/rumord.$n.log" 2>&1 &
	echo $! >"$TMP/pid.$n"
}

# It answers a client, or it died trying.
rumord_settled() {
	rctl "$1" kv list >/dev/null 2>&1 || dead "$2"
}

# rumord_up NODE: wait until NODE's rumord answers; fail with its last
# words if it exits or stays silent.
rumord_up() {
	local n=$1 pid
	read -r pid <"$TMP/pid.$n"
	wait_for 20 rumord_settled "$n" "$pid" || true
	alive "$pid" ||
		fail "rumord on $n exited: $(tail -n2 "$TMP/rumord.$n.log" | tr '\n' ' ')"
	rctl "$n" kv list >/dev/null ||
		fail "rumord on $n does not answer: $(tail -n2 "$TMP/rumord.$n.log" | tr '\n' ' ')"
}

# rumord_stop NODE [SIGNAL]: signal NODE's rumord and wait until it is gone.
rumord_stop() {
	local n=$1 sig=${2:-TERM} pid
	read -r pid <"$TMP/pid.$n"
	kill -"$sig" "$pid" 2>/dev/null || true
	wait_for 10 dead "$pid" || fail "rumord on $n ($pid) did not exit on SIG$sig"
}

rumord_stop_all() {
	local n pid pids=()
	for n in $NODES; do
		[ -e "$TMP/pid.$n" ] || continue
		read -r pid <"$TMP/pid.$n"
		alive "$pid" || continue
		kill -TERM "$pid" 2>/dev/null || true
		pids+=("$pid")
	done
	for pid in "${pids[@]}"; do wait_for 10 dead "$pid" || true; done
}

# SPDX-License-Identifier: GPL-2.0
#
# What the host's rumord tests (selftests/unit/test_rumord*.sh) share:
# the rumords they started are killed between cases and at the end, and
# commands are run against an expected exit status. The sourcing script
# sets REPO and TMP and appends every rumord's pid to $TMP/pids; BUILD
# (default build/, relative to REPO) says where the binaries are.

BUILD=${BUILD:-$REPO/build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
RUMORD=$BUILD/rumord
RUMORCTL=$BUILD/rumorctl

# Kill every rumord started so far: a case that fails half-way leaves
# them running, and the next must not find their state in use.
reap() {
	local pid
	[ -f "$TMP/pids" ] || return 0
	while read -r pid; do
		kill -9 "$pid" 2>/dev/null
	done <"$TMP/pids"
	: >"$TMP/pids"
}

cleanup() {
	reap
	rm -rf "$TMP"
}
trap cleanup EXIT

# run EXPECTED_RC COMMAND...: the output (stdout and stderr) in $OUT.
run() {
	local want=$1 rc=0
	shift
	OUT=$("$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "$* exited $rc, want $want: $OUT"
}

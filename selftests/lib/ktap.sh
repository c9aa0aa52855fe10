# SPDX-License-Identifier: GPL-2.0
#
# KTAP cases for the host's shell tests (selftests/unit/*.sh), as
# selftests/lib/ktap.h is for the C ones. The sourcing script sets TMP and
# may define after_case RC, run after each case (to stop what it started,
# say, or to show logs when it failed).

n=0
failed=0

# ktap_case NAME FUNCTION: run FUNCTION in a subshell under set -e; what
# it prints becomes "# " diagnostics, then "ok N NAME" or "not ok N NAME".
ktap_case() {
	local name=$1 fn=$2 rc
	n=$((n + 1))
	( set -e; "$fn" ) >"$TMP/out" 2>&1
	rc=$?
	sed 's/^/# /' "$TMP/out"
	if declare -F after_case >/dev/null; then
		after_case "$rc"
	fi
	if [ $rc -eq 0 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
}

fail() {
	echo "FAIL: $*"
	return 1
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

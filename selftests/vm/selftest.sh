#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# KTAP self-test of selftests/vm/vmtest. Each case boots one guest and
# checks one promise of the harness in a way that fails if the harness is
# wrong: statuses, output, environment, modules, kernel splats, the
# deadline and the rumor.ko unload check. Takes about a minute.
#
# Usage: selftest.sh [TEST...]   (default: all, in the order below)

# Commands for the guest are in single quotes so that they expand there.
# shellcheck disable=SC2016
set -u

VMDIR=$(dirname "$(realpath "$0")")
REPO=$(realpath "$VMDIR/../..")
VMTEST=$VMDIR/vmtest

TESTS=(
	true_exits_0
	status_passes_through
	output_passes_through
	guest_environment
	initramfs_is_cached
	module_loads_in_guest
	kernel_warning_fails
	hang_times_out
	stuck_rumor_module_fails
	unloadable_rumor_module_passes
)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

diag() {
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

# Run vmtest, keeping its stdout, stderr and status for the checks.
vm() {
	"$VMTEST" "$@" >"$out/stdout" 2>"$out/stderr"
	rc=$?
	return "$rc"
}

expect_rc() {
	((rc == $1)) && return
	diag "exit status $rc, expected $1; end of stderr:"
	diag "$(tail -n 5 "$out/stderr")"
	return 1
}

# expect_file NAME TEXT: vmtest's captured NAME (stdout or stderr) is TEXT.
expect_file() {
	[[ $(<"$out/$1") == "$2" ]] && return
	diag "$1 was '$(<"$out/$1")', expected '$2'"
	return 1
}

# The last line of stderr is vmtest's one-line reason.
expect_reason() {
	tail -n 1 "$out/stderr" | grep -qE "$1" && return
	diag "last line of stderr does not match '$1':"
	diag "$(tail -n 1 "$out/stderr")"
	return 1
}

true_exits_0() {
	local start=$EPOCHREALTIME
	vm -- true
	diag "vmtest -- true took $(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $start }") s"
	expect_rc 0
}

status_passes_through() {
	vm -- sh -c 'exit 3'
	expect_rc 3
}

output_passes_through() {
	vm -- sh -c 'echo hello; echo to-stderr >&2'
	expect_rc 0 && expect_file stdout hello && expect_file stderr to-stderr
}

# Same working directory, RUMOR_IN_VM, whitelisted variables, a fixed PATH
# and a root file system that the guest cannot write.
guest_environment() {
	(cd "$VMDIR" && V=7 vm -- sh -c \
		'test -w vmtest && echo writable; echo "$PWD $RUMOR_IN_VM $V $PATH"')
	rc=$?
	expect_rc 0 &&
		expect_file stdout "$VMDIR 1 7 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

# A second boot must not rebuild the initramfs that the first one left.
initramfs_is_cached() {
	local image before
	image=$(realpath -m "${BUILD:-$REPO/build}")/vm/initramfs-$KVER.cpio
	before=$(stat -c %Y "$image") || return 1
	vm -- true
	expect_rc 0 || return 1
	[[ $(stat -c %Y "$image") == "$before" ]] && return
	diag "$image was rebuilt"
	return 1
}

module_loads_in_guest() {
	vm -- sh -c 'modprobe veth &&
		ip netns add vm1 &&
		ip link add veth0 type veth peer name veth1 netns vm1 &&
		ip -n vm1 link set veth1 up && ip -n vm1 -o link show veth1'
	expect_rc 0 && grep -q 'veth1@' "$out/stdout"
}

kernel_warning_fails() {
	vm -- sh -c 'echo "WARNING: CPU: 0 PID: 1 at selftest" >/dev/kmsg'
	expect_rc 122 && expect_reason '^vmtest: kernel problem: .*WARNING: CPU: 0 PID: 1 at selftest'
}

hang_times_out() {
	local start=$SECONDS
	vm --timeout 15 -- sleep 600
	expect_rc 124 && expect_reason '^vmtest: guest timed out after 15 s$' &&
		{ ((SECONDS - start < 30)) || { diag "took $((SECONDS - start)) s"; return 1; }; }
}

# A stand-in for rumor.ko that, with pin=1, holds a reference to itself so
# that rmmod fails. Built under $BUILD/vm, which the guest can see, into
# $fake_ko; returns 4 (skip) without a kernel build tree.
fake_rumor_module() {
	local dir kdir=/lib/modules/$KVER/build
	dir=$(realpath -m "${BUILD:-$REPO/build}")/vm/fake-rumor
	[[ -e $kdir/Makefile ]] || { diag "no kernel build tree $kdir"; return 4; }
	mkdir -p "$dir"
	echo 'obj-m := rumor.o' >"$dir/Kbuild"
	cat >"$dir/rumor.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* vmtest self-test: stands in for rumor.ko; pin=1 makes it stick. */
#include <linux/module.h>

static bool pin;
module_param(pin, bool, 0444);

static int __init fake_rumor_init(void)
{
	if (pin)
		__module_get(THIS_MODULE);
	return 0;
}

static void __exit fake_rumor_exit(void)
{
}

module_init(fake_rumor_init);
module_exit(fake_rumor_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmtest self-test stand-in for rumor.ko");
EOF
	make -s -C "$kdir" M="$dir" modules >"$out/kbuild.log" 2>&1 ||
		{ diag "$(tail -n 5 "$out/kbuild.log")"; return 1; }
	fake_ko=$dir/rumor.ko
}

stuck_rumor_module_fails() {
	fake_rumor_module || return
	vm -- insmod "$fake_ko" pin=1
	expect_rc 121 && expect_reason '^vmtest: rumor.ko would not unload: '
}

unloadable_rumor_module_passes() {
	fake_rumor_module || return
	vm -- insmod "$fake_ko"
	expect_rc 0
}

main() {
	local i=0 failed=0 skipped=0 t
	(($#)) && TESTS=("$@")
	echo "KTAP version 1"
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "1..0 # SKIP qemu-system-x86_64 is not installed"
		exit 4
	fi
	# The kernel that vmtest boots; exported so both agree.
	export KVER=${KVER:-$(cat "$("$REPO/scripts/kdir.sh")/include/config/kernel.release")}
	echo "1..${#TESTS[@]}"
	for t in "${TESTS[@]}"; do
		i=$((i + 1))
		"$t"
		case $? in
		0) echo "ok $i $t" ;;
		4)
			echo "ok $i $t # SKIP"
			skipped=$((skipped + 1))
			;;
		*)
			echo "not ok $i $t"
			failed=$((failed + 1))
			;;
		esac
	done
	diag "$((i - failed - skipped)) passed, $failed failed, $skipped skipped"
	((failed == 0))
}

main "$@"

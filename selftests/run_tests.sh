#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every rumor test under prove and end with its summary. Host tests run
# here; the network selftests need to load rumor.ko, so they run natively
# when this kernel can load it, and otherwise in a QEMU guest booting the
# kernel the module was built for (selftests/vm/vmtest).
#
#   RUMOR_TEST_MODE=native|vm   force one way
#   TESTS="unit xdp vm net"     run only some groups

set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
KVER=${KVER:-$(cat "$("$REPO/scripts/kdir.sh")/include/config/kernel.release" 2>/dev/null || true)}
export BUILD KVER
TESTS=${TESTS:-unit xdp vm net}

can_load_module() {
	[ "$(id -u)" = 0 ] && [ -e /proc/modules ] && [ "$(uname -r)" = "$KVER" ]
}

mode=${RUMOR_TEST_MODE:-}
if [ -z "$mode" ]; then
	if can_load_module; then mode=native; else mode=vm; fi
fi

wrappers=$BUILD/tests
rm -rf "$wrappers"
mkdir -p "$wrappers"
list=()

# wrap NAME COMMAND...: a prove-able executable that runs COMMAND.
wrap() {
	local name=$1
	shift
	printf '#!/bin/sh\nexec %s\n' "$*" >"$wrappers/$name"
	chmod +x "$wrappers/$name"
	list+=("$wrappers/$name")
}

for group in $TESTS; do
	case $group in
	unit|xdp)
		for t in "$BUILD"/selftests/"$group"/* "$REPO"/selftests/"$group"/*.py \
			 "$REPO"/selftests/"$group"/*.sh; do
			[ -x "$t" ] && [ -f "$t" ] || continue
			wrap "$group-$(basename "$t")" "$t"
		done
		;;
	vm)
		if [ "$mode" = vm ]; then
			wrap vm-harness "$REPO/selftests/vm/selftest.sh"
			# The verifier of the kernel the module is for, too.
			for t in "$BUILD"/selftests/xdp/*; do
				[ -x "$t" ] && [ -f "$t" ] || continue
				wrap "vm-xdp-$(basename "$t")" \
					"$REPO/selftests/vm/vmtest" -- "$t"
			done
		fi
		;;
	net)
		for t in "$REPO"/selftests/net/*.sh; do
			[ "$(basename "$t")" = lib.sh ] && continue
			name=net-$(basename "$t" .sh)
			if [ "$mode" = native ]; then
				wrap "$name" "$t"
			else
				# rumord.sh takes about 3.5 min in a guest.
				wrap "$name" "$REPO/selftests/vm/vmtest" --timeout 600 -- "$t"
			fi
		done
		;;
	*)
		echo "run_tests: unknown test group '$group'" >&2
		exit 2
		;;
	esac
done

echo "# rumor tests: network selftests run $mode${KVER:+ (kernel $KVER)}"
exec prove --verbose --timer "${list[@]}"

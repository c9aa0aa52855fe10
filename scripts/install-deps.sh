#!/bin/sh
# Install the Debian packages rumor needs to build, test and demo, quietly
# and only when some are missing. The list is the one in README.md.
#
# The kernel to build against and boot in the test VM is Debian's 6.12 series
# (override with RUMOR_KERNEL_SERIES); which exact version that is, is read
# later from what the packages installed.
set -e

arch=$(dpkg --print-architecture)
series=${RUMOR_KERNEL_SERIES:-6.12}

packages="
	make gcc libc6-dev pkg-config
	clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	libmnl-dev liblmdb-dev libxxhash-dev
	linux-headers-$series-$arch linux-image-$series-$arch kmod
	qemu-system-x86 busybox-static cpio xz-utils
	iproute2 util-linux procps python3 python3-yaml perl jq
"

missing=
for p in $packages; do
	dpkg-query -W -f '${db:Status-Status}\n' "$p" 2>/dev/null |
		grep -qx installed || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "rumor: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi
echo "rumor: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

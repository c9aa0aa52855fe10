#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: a five-node rumor cluster in network namespaces. Runs natively
# when this kernel can load the rumor.ko just built, otherwise inside the
# test VM booting the kernel it was built for.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
KVER=${KVER:-$(cat "$("$REPO/scripts/kdir.sh")/include/config/kernel.release")}
export KVER

if [ "$(id -u)" = 0 ] && [ -e /proc/modules ] && [ "$(uname -r)" = "$KVER" ]; then
	exec "$REPO/scripts/demo-cluster.sh"
fi
echo "demo: this kernel cannot load rumor.ko; booting $KVER under QEMU (about 10 s)"
exec "$REPO/selftests/vm/vmtest" -- "$REPO/scripts/demo-cluster.sh"

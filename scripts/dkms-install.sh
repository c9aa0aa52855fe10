#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make dkms-install: register the module sources with DKMS, so that rumor.ko
# is rebuilt for every kernel the host installs. Needs the dkms package.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$REPO/dkms.conf")
SRC=/usr/src/rumor-$VERSION

command -v dkms >/dev/null || { echo "dkms-install: install the dkms package first" >&2; exit 1; }
rm -rf "$SRC"
mkdir -p "$SRC"
# Only what Kbuild needs: the module, the protocol core, the uapi header.
cp -r "$REPO/Kbuild" "$REPO/dkms.conf" "$REPO/kmod" "$REPO/core" "$REPO/include" "$SRC/"
find "$SRC" -name '*.o' -o -name '*.ko' -o -name '*.cmd' -o -name '*.mod*' | xargs rm -f
dkms add -m rumor -v "$VERSION" 2>/dev/null || true
dkms build -m rumor -v "$VERSION" ${KVER:+-k "$KVER"}
dkms install -m rumor -v "$VERSION" ${KVER:+-k "$KVER"}

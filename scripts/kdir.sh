#!/bin/sh
# Print the kernel build tree to build rumor.ko against: the running
# kernel's when it has one, otherwise the newest linux-headers tree that
# Debian's packages installed under /usr/src.
running=/lib/modules/$(uname -r)/build
if [ -e "$running/Makefile" ]; then
	echo "$running"
	exit 0
fi
for h in /usr/src/linux-headers-*; do
	[ -e "$h/Module.symvers" ] && echo "$h"
done | sort -V | tail -n 1

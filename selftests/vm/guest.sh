#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the vmtest guest, in the host's root, as started by
# selftests/vm/init. Executes the command file that the host wrote, captures
# its output and status in the results share, then checks that rumor.ko
# unloads. The host reads the results after the guest powers off.
#
# Output of this script goes to the serial console that the host scans for
# kernel splats: never print WARNING, BUG, Oops or panic from here.

results=/run/vmtest

# Host environments differ (pyenv shims, sudo paths); the guest gets one
# known PATH so that tests find the system tools and nothing else.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
export RUMOR_IN_VM=1

# The command file cds to the host's working directory, exports the
# passed-through variables and execs the command.
bash "$results/cmd" </dev/null >"$results/stdout" 2>"$results/stderr"
echo "$?" >"$results/status"

# A test that leaves rumor.ko loaded is fine; one whose module will not
# unload (leaked reference, stuck exit path) fails: the host reports the
# unload file, which holds rmmod's complaint, when it exists.
if grep -q '^rumor ' /proc/modules; then
	rmmod rumor 2>"$results/unload" && rm "$results/unload"
fi

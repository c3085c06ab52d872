#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# journal_ns.sh DIR CMD...: run CMD beside a systemd-journald of its own,
# for the tests of kfaasd's journal forwarding (tests/vm/test_logs.sh).
# Run it under 'unshare --mount --propagation private': it mounts tmpfs
# over /run/systemd, /run/log and /var/log/journal and binds a
# journald.conf from DIR (volatile storage, no kernel messages, no
# forwarding) in that mount namespace only, so nothing of the host's
# journal is touched and what CMD sends stays in DIR's journald.  The
# journald's pid goes to DIR/journald.pid; CMD is exec'd (its pid is this
# script's).  journalctl sees the journal through the namespace:
# nsenter --mount=/proc/PID/ns/mnt journalctl ...
set -eu
dir=$1
shift
mount -t tmpfs tmpfs /run/systemd
mount -t tmpfs tmpfs /run/log
[ -d /var/log/journal ] && mount -t tmpfs tmpfs /var/log/journal
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToSyslog=no\nForwardToWall=no\nForwardToConsole=no\nAudit=no\n' \
	> "$dir/journald.conf"
mount --bind "$dir/journald.conf" /etc/systemd/journald.conf
/lib/systemd/systemd-journald >"$dir/journald.log" 2>&1 &
echo $! > "$dir/journald.pid"
for _ in $(seq 100); do
	[ -S /run/systemd/journal/socket ] && break
	sleep 0.05
done
[ -S /run/systemd/journal/socket ] || { echo "journald did not start" >&2; exit 1; }
exec "$@"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Measure the VM tier on this machine: cold boot vs snapshot clone start,
# first and warm request latency, client round trip, memory per VM.  The
# numbers in docs/vm-tier.md come from this script.
#
#   tools/vm-measure.sh [BUILD] [ROUNDS]
#
# Runs a private kfaasd (pin root /sys/fs/bpf/kfaas-measure-$$) in the
# host network namespace on UDP port 7999 and removes everything after.
set -u
B=$(cd "${1:-build}" && pwd)
N=${2:-10}
K="$B/kfaas"
export KFAAS_PIN_ROOT=/sys/fs/bpf/kfaas-measure-$$
export KFAAS_RUN_DIR=/run/kfaasd-measure-$$
FN=$B/tests/vm/fn/kfn
UDP="python3 $(cd "$(dirname "$0")/.." && pwd)/tests/vm/udp.py"
log=$(mktemp /tmp/kfaasd-measure.XXXXXX)
dpid=

stop() {
	[ -n "$dpid" ] || return 0
	kill -TERM "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	dpid=
}
cleanup() { stop; rm -rf "$KFAAS_PIN_ROOT" "$log" "$KFAAS_RUN_DIR"; }
trap cleanup EXIT
start() {
	"$B/kfaasd" --cache-dir /var/cache/kfaasd-test "$@" >>"$log" 2>&1 &
	dpid=$!
	for _ in $(seq 150); do
		"$K" daemon status >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "kfaasd did not start:" >&2
	cat "$log" >&2
	exit 1
}
pool() { "$K" -j daemon status | jq -c '.functions[] | select(.name=="m") | .pool'; }
idle_pid() { pool | jq -r '[.vms[] | select(.state=="idle" and .template==false)][0].pid'; }
wait_new() {	# wait for an idle VM other than $1
	for _ in $(seq 300); do
		p=$(idle_pid)
		[ "$p" != null ] && [ "$p" != "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# p50 p90 max of numbers on stdin
summary() { sort -n | awk '{ a[NR] = $1 } END { if (!NR) exit;
	printf "p50 %s  p90 %s  max %s  (n=%d)", a[int((NR + 1) / 2)],
	a[int((NR * 9 + 9) / 10)], a[NR], NR }'; }
mem() {	# RSS and private MiB of a pid
	awk '/^Rss:/ { r = $2 } /^Private_(Clean|Dirty):/ { p += $2 }
	     END { printf "RSS %.0f MiB, private %.0f MiB", r / 1024, p / 1024 }' \
		/proc/"$1"/smaps_rollup
}
# start-up times of replacement VMs: kill the idle one, time the new one
restarts() {
	local i p
	for i in $(seq "$N"); do
		p=$(idle_pid)
		kill -9 "$p"
		wait_new "$p" || break
		pool | jq -r "$1"
	done
}

echo "# VM tier on $(nproc) CPUs, $(uname -r), $(qemu-system-x86_64 -version | head -1)"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"

start --no-snapshot
"$K" fn create m --vm "$FN" --min-warm 1 --max 2 --idle-ttl 0 >/dev/null
"$K" route add udp 7999 fn m >/dev/null
echo "accelerator: $("$K" -j daemon status | jq -r '.daemon.accel + " (" + .daemon.accel_why + ")"')"
echo "cold boot, QEMU start to agent ready (ms): $(restarts .last_cold_ms | summary)"
p=$(idle_pid)
echo "idle cold-booted VM: $(mem "$p")"
first=$("$K" -j invoke m --data 'echo x' | jq .duration_ns)
echo "first request on a cold-booted VM (ms): $((first / 1000000))"
"$K" route del udp 7999 >/dev/null
"$K" fn unload m >/dev/null
stop

start
"$K" fn create m --vm "$FN" --min-warm 1 --max 2 --idle-ttl 0 >/dev/null
"$K" route add udp 7999 fn m >/dev/null
echo "template: cold boot + save (ms): $(pool | jq .template_ms)"
echo "state file: $(stat -c %s "$KFAAS_RUN_DIR"/fn/*/tpl.state) bytes"
echo "clone, QEMU start to restored and reseeded (ms): $(restarts .last_clone_ms | summary)"
p=$(idle_pid)
echo "idle clone: $(mem "$p")"
for i in $(seq "$N"); do
	p=$(idle_pid); kill -9 "$p"; wait_new "$p"
	"$K" -j invoke m --data 'echo x' | jq '.duration_ns / 1000000 | floor'
done > "$log.first"
echo "first request on a fresh clone (ms): $(summary < "$log.first")"
rm -f "$log.first"
"$K" -j invoke m --data 'echo x' --repeat 200 |
	jq -r '"warm request in kfaasd (ms): p50 \(.p50_ns / 1e6) p99 \(.p99_ns / 1e6) (n=200)"'
for i in $(seq 100); do $UDP 127.0.0.1 7999 'echo x' | cut -d' ' -f1; done |
	{ printf "warm UDP round trip, client (ms): "; summary; echo; }
# 1 MB in (TCP request), count of bytes out; then 1 MB out
"$K" route add tcp 7999 fn m >/dev/null
{ printf 'count '; head -c 1000000 /dev/zero; } > "$log.big"
for i in $(seq "$N"); do
	t0=$(date +%s%N)
	socat -t 10 - TCP:127.0.0.1:7999 < "$log.big" > /dev/null
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
done | { printf "1 MB request over TCP, warm, client (ms): "; summary; echo; }
for i in $(seq "$N"); do
	t0=$(date +%s%N)
	printf 'big 1000000' | socat -t 10 - TCP:127.0.0.1:7999 > /dev/null
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
done | { printf "1 MB reply over TCP, warm, client (ms): "; summary; echo; }
rm -f "$log.big"
"$K" route del tcp 7999 >/dev/null
# scale-up: requests on an empty pool
"$K" route del udp 7999 >/dev/null
"$K" fn unload m >/dev/null
"$K" fn create m --vm "$FN" --min-warm 0 --max 4 --idle-ttl 1 >/dev/null
for _ in $(seq 100); do [ "$(pool | jq -r .template)" = ready ] && break; sleep 0.1; done
for i in $(seq "$N"); do
	for _ in $(seq 100); do [ "$(pool | jq .live)" = 0 ] && break; sleep 0.1; done
	"$K" -j invoke m --data 'echo x' | jq '.duration_ns / 1000000 | floor'
done > "$log.scale"
echo "request on an empty pool (clone start + first request, ms): $(summary < "$log.scale")"
rm -f "$log.scale"
"$K" fn unload m >/dev/null
stop

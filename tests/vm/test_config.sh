#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The declarative configuration across tiers: kfaasd applies its file at
# start and again on SIGHUP while it serves (an unchanged file changes
# nothing; a changed one changes only what differs), `kfaas apply` drives
# VM-tier functions through the running daemon, an apply that fails
# leaves every tier as it was, and without a daemon the CLI says so.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"

vm_require jq python3 nsenter
[ -x "$B/vmfn/hello" ] || ktap_skip_all "the hello function is not built: make"
ktap_plan 27

use_pin_root vmconf
sandbox_up vmconf 79 || { echo "Bail out! no sandbox"; exit 1; }
export KFAAS_RUN_DIR=/run/kfaasd-c$$
K() { "$KFAAS" "$@"; }
T=$(mktemp -d /tmp/kfaas-vmconf-XXXXXX)
LOG=$T/kfaasd.log
cleanup_add "daemon_stop; rm -rf $KFAAS_RUN_DIR $T"

conf() {	# max min-warm -> a configuration with a function of every tier
	cat <<EOF
functions:
  echo:
    object: $B/bpf/echo.bpf.o
  web:
    object: $B/bpf/http.bpf.o
  hello:
    vm: $B/vmfn/hello
    max: $1
    min-warm: $2
routes:
  - { trigger: udp 7, fn: echo }
  - { trigger: tcp 8081, fn: web }
  - { trigger: udp 7070, fn: hello }
EOF
}
ask() { in_cli python3 "$here/udp.py" -t 20 "$SRV4" 7070 "$1" | cut -d' ' -f2-; }
fnjq() { K -j fn show hello | jq -r "$1"; }

conf 2 1 > "$T/kfaas.yaml"
MPORT=9467
nsenter --net=/run/netns/"$NS_SRV" "$B/kfaasd" --cache-dir /var/cache/kfaasd-test \
	--refresh 500 --config "$T/kfaas.yaml" --metrics 127.0.0.1:$MPORT >>"$LOG" 2>&1 &
DPID=$!
ok=1
for i in $(seq 150); do
	K daemon status >/dev/null 2>&1 && K fn show hello >/dev/null 2>&1 && { ok=0; break; }
	sleep 0.2
done
check_eq "kfaasd applied its configuration at start" 0 $ok || sed 's/^/# /' "$LOG" | tail -20
check_eq "... the eBPF function answers" "XDP_TX ping" \
	"$(K -j invoke echo --data ping | jq -r '.verdict + " " + .reply')"
check_match "... the VM function answers its route" "hello, world" "$(ask world)"
"$B/kfaas-http" --fn web set /page --data 'in the kernel' >/dev/null
check_eq "... kfaasd's socket-tier listener: curl gets the in-kernel page" \
	"in the kernel" "$(in_cli curl -s --max-time 10 "http://$SRV4:8081/page")"
check_match "... so a standalone listener is refused, saying who serves" \
	"already serves" "$(K sk serve 2>&1)"

# ---- the metrics endpoint (libmicrohttpd in kfaasd) ----
metrics=$(in_srv curl -sf "http://127.0.0.1:$MPORT/metrics")
check_match "kfaasd serves /metrics" "kfaasd_up 1" "$metrics"
if /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; then
	parsed=$(printf '%s\n' "$metrics" | /usr/bin/python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        if s.name == "kfaas_function_invocations_total":
            print("%s:%s:%d" % (s.labels["function"], s.labels["tier"], s.value))
' | sort | xargs)
	check_eq "... every tier's counters, read by the Prometheus parser" \
		"$(K -j stats | jq -r '[.[] | "\(.name):\(.tier):\(.invocations)"] | sort | join(" ")')" \
		"$parsed"
else
	skip "... every tier's counters, read by the Prometheus parser" "no python3-prometheus-client"
fi
check_eq "... and 404 elsewhere" 404 \
	"$(in_srv curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")"

check_eq "kfaas apply of the same file changes nothing" 0 \
	"$(K -j apply "$T/kfaas.yaml" | jq '.changes | length')"
K export > "$T/exported.yaml"
check_match "export writes the VM function with its size and keep-alive" "vm: \"$B/vmfn/hello\".*max: 2 .*keep-alive: auto" \
	"$(tr '\n' ' ' < "$T/exported.yaml")"
check_eq "... and applying the export changes nothing" 0 \
	"$(K -j apply "$T/exported.yaml" | jq '.changes | length')"

before_id=$(fnjq .id)
conf 3 1 > "$T/kfaas.yaml"
kill -HUP $DPID
ok=1
for i in $(seq 150); do
	[ "$(fnjq .vm.max 2>/dev/null)" = 3 ] && { ok=0; break; }
	sleep 0.2
done
check_eq "SIGHUP re-applies the changed file (max 2 -> 3)" 0 $ok
check_match "... and the route is served again" "hello, world" "$(ask world)"
id=$(fnjq .id)
lost=0
for i in $(seq 20); do
	[ $((i % 5)) = 0 ] && kill -HUP $DPID
	ask "r$i" | grep -q "hello, r$i" || lost=$((lost + 1))
done
check_eq "SIGHUP with an unchanged file during traffic: no request lost" 0 $lost
check_eq "... and nothing re-created" "$id" "$(fnjq .id)"

conf 3 0 > "$T/c2.yaml"
check_eq "kfaas apply updates a changed VM function in place (same id, routes kept)" \
	"vm_update $id" \
	"$(K -j apply "$T/c2.yaml" | jq -r '[.changes[].action] | join(" ")') $(fnjq .id)"
check_eq "... min-warm 0 now" 0 "$(fnjq .vm.min_warm)"
check_match "... and it answers" "hello, world" "$(ask world)"

before=$(K export)
cat > "$T/bad.yaml" <<EOF
functions:
  echo:
    object: $B/bpf/echo.bpf.o
  hello:
    vm: $B/vmfn/hello
    max: 4
  web:
    object: $B/bpf/http.bpf.o
  broken:
    vm: /etc/hostname
routes:
  - { trigger: udp 7, fn: echo }
  - { trigger: tcp 8081, fn: web }
  - { trigger: udp 7070, fn: hello }
EOF
out=$(K apply "$T/bad.yaml" 2>&1)
check_match "a VM function kfaasd refuses fails the whole apply" "nothing was changed" "$out"
check_eq "... every tier is as it was" "$before" "$(K export)"

# the apply holds the pin-root lock while kfaasd starts its VM function:
# stopped there (KFAAS_PAUSE_AT, the test build), a writer waits for
# the pin root's flock(2) and writes nothing until the apply goes on and ends
sed 's|^routes:|  hello2:\n    vm: '"$B"'/vmfn/hello\n    min-warm: 1\nroutes:|' \
	"$T/c2.yaml" > "$T/two.yaml"
KFAAS_PAUSE_AT=apply-ready "$CRASH_KFAAS" apply "$T/two.yaml" >"$T/apply.out" 2>&1 &
apid=$!
cleanup_add "kill -CONT $apid"
proc_state() { awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# a waiter for a flock(2) lock: "N: -> FLOCK  ADVISORY  WRITE PID ..." in /proc/locks
in_flock() { grep -qE "^[0-9]+: -> FLOCK +ADVISORY +WRITE +$1 " /proc/locks; }
wait_until 300 test "$(proc_state $apid)" = T
"$KFAAS" route add udp 4444 fn echo >/dev/null 2>&1 &
wpid=$!
check "a writer during an apply's second phase waits for the pin root's lock" \
	wait_until 300 in_flock $wpid
check_eq "... and has written nothing" "" "$(K -j route list | jq -r '.[] | select(.port == 4444) | .fn')"
kill -CONT $apid
wait $apid; arc=$?
wait $wpid; wrc=$?
check_eq "... then the apply ends, and the writer's route is added after it" "0 0 echo true" \
	"$arc $wrc $(K -j route list | jq -r '.[] | select(.port == 4444) | .fn') $(st |
		jq '[.functions[] | select(.name == "hello2")] | length == 1')"
K route del udp 4444 >/dev/null 2>&1
K apply "$T/c2.yaml" >/dev/null
before=$(K export)
{ KFAAS_CRASH_AT=apply-ready "$CRASH_KFAAS" apply "$T/two.yaml" >/dev/null 2>&1; } 2>/dev/null
rc=$?
K route del udp 1 >/dev/null 2>&1	# takes the lock: repairs
check_eq "kill -9 of an apply while kfaasd adopts a VM function: undone" \
	"137 $before" "$rc $(K export)"
gone=1
for i in $(seq 50); do
	st | jq -e '.functions[] | select(.name == "hello2")' >/dev/null || { gone=0; break; }
	sleep 0.2
done
check_eq "... and kfaasd stops the function it had adopted" 0 $gone

K export > "$T/now.yaml"
daemon_stop
conf 5 1 > "$T/c3.yaml"
check_match "without kfaasd, a VM change is refused with what to do" \
	"needs kfaasd to be changed: start kfaasd first" "$(K apply "$T/c3.yaml" 2>&1)"
check_eq "... and an unchanged file still applies (nothing to do)" 0 \
	"$(K -j apply "$T/now.yaml" | jq '.changes | length')"

ktap_finish

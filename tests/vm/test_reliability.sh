#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Reliability and security of the VM tier (issue 7), against the ASan+UBSan
# builds of kfaasd and of the guest agent when `make asan` made them
# (BUILD/asan/kfaasd, BUILD/asan/vm/guest.cpio), real QEMU (TCG here):
#   privilege   pin root, pinned maps and control socket closed to other
#               users; the daemon checks the peer even on a loosened
#               socket; QEMU under its own uid, sandboxed, no privileges
#   hostile     malformed, huge, vanishing and never-reading clients of
#               the control socket do not take kfaasd down
#   isolation   a function that loops, crashes, fills its guest's memory
#               or writes a huge response leaves its neighbour's VMs and
#               service untouched
#   fresh       --fresh: what one invocation leaves is gone for the next;
#               without it (the default) the warm VM keeps it
#   recovery    kill -9 of kfaasd during 1000 concurrent invocations:
#               routes intact, nothing leaked, pools refilled, serving
#   sanitizers  0 reports from kfaasd and from the agent in every guest
# Timings are printed as diagnostics, never asserted.
#   RELIABILITY_INVOCATIONS (1000): the invocations kfaasd is killed among
#   RELIABILITY_PLAIN=1: the plain builds even when the sanitizer ones exist
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/kfaasd_lib.sh"

vm_require jq python3 setpriv socat

ktap_plan 56

FN=$B/tests/vm/fn/kfn
KFAASD=$B/kfaasd; IMG=$B/vm/guest.cpio; SAN=
if [ -z "${RELIABILITY_PLAIN:-}" ] && [ -x "$B/asan/kfaasd" ] &&
   [ -r "$B/asan/vm/guest.cpio" ]; then
	KFAASD=$B/asan/kfaasd; IMG=$B/asan/vm/guest.cpio; SAN=1
fi
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
CACHE=/var/cache/kfaasd-test
LOG=$(mktemp /tmp/kfaasd-rel.XXXXXX)
export KFAAS_RUN_DIR=/run/kfaasd-r$$
RUN=$KFAAS_RUN_DIR
SOCK=$RUN/control.sock
NS=krel-$$
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
PY=/usr/bin/python3	# the system's: other users may not run a per-user one
PORT=7300
N=${RELIABILITY_INVOCATIONS:-1000}

use_pin_root rel
ip netns add "$NS" || { echo "Bail out! no netns"; exit 1; }
ip -n "$NS" link set lo up
cleanup_add "ip netns del $NS"

daemon_start() {
	nsenter --net=/run/netns/"$NS" "$KFAASD" --cache-dir "$CACHE" \
		--initramfs "$IMG" --refresh 500 --config none -vv \
		--max-conns 40 --tcp-timeout 3000 "$@" >>"$LOG" 2>&1 &
	DPID=$!
	daemon_wait_ready 150
}
cleanup_add "daemon_stop; for p in \$(live_qemus); do kill -9 \$p; done; rm -rf $RUN; rm -f $LOG"
vm_pids() { pool_get "$1" '[.vms[] | select(.template==false) | .pid] | sort | join(",")'; }
inv() { "$KFAAS" -j invoke "$1" --data "$2"; }
load() { python3 "$here/ctl_load.py" "$SOCK" "$@"; }
reports() { grep -cE 'ERROR: (Address|Leak)Sanitizer|runtime error:|Kernel panic' "$LOG"; }

# ---- start: three functions ------------------------------------------------
daemon_start
check_eq "kfaasd starts${SAN:+ (ASan+UBSan build, ASan+UBSan agent in the guests)}" 0 $?
[ -n "$SAN" ] || diag "no sanitizer build (make asan): the plain kfaasd and agent"
"$KFAAS" -j fn create nb --vm "$FN" --min-warm 2 --max 2 >"$LOG.nb" 2>&1 &
c1=$!
"$KFAAS" -j fn create fr --vm "$FN" --fresh --min-warm 1 --max 1 >"$LOG.fr" 2>&1 &
c2=$!
out=$("$KFAAS" -j fn create victim --vm "$FN" --min-warm 1 --max 1 --timeout 5000)
wait $c1 $c2
check_eq "three functions: victim, neighbour (2 VMs), fresh" "vm vm vm true" \
	"$(echo "$out" | jq -r .tier) $(jq -r .tier "$LOG.nb") $(jq -r '.tier + " " + (.vm.fresh | tostring)' "$LOG.fr")"
rm -f "$LOG.nb" "$LOG.fr"
diag "templates: victim $(pool_get victim .template_ms) ms, nb $(pool_get nb .template_ms) ms, fr $(pool_get fr .template_ms) ms"

diag "${SECONDS} s"
# ---- privilege -----------------------------------------------------------------
check_eq "the pin root is root's, mode 0700" "700 root" \
	"$(stat -c '%a %U' "$KFAAS_PIN_ROOT")"
check_eq "every pinned map and program is root's, mode 0600" "" \
	"$(find "$KFAAS_PIN_ROOT" -mindepth 1 -type f ! -perm 600 -o -mindepth 1 -type f ! -user root)"
check_fail "another user cannot list the pin root" $NOBODY ls "$KFAAS_PIN_ROOT"
check_match "... nor open a pinned map (kfaas route list)" "[Pp]ermission|EACCES|EPERM|root" \
	"$($NOBODY "$KFAAS" -j route list 2>&1)"
check_match "... nor open the routes map by path" "PermissionError" \
	"$($NOBODY $PY -c "open('$KFAAS_PIN_ROOT/routes', 'rb')" 2>&1)"
check_eq "the control socket is root's, mode 0600" "600 root" "$(stat -c '%a %U' "$SOCK")"
check_match "another user cannot connect to it" "PermissionError" \
	"$($NOBODY $PY -c "import socket; s = socket.socket(socket.AF_UNIX); s.connect('$SOCK')" 2>&1)"
chmod 0666 "$SOCK"
out=$($NOBODY $PY -c "
import socket; s = socket.socket(socket.AF_UNIX); s.connect('$SOCK')
try:
    s.sendall(b'{\"cmd\":\"invoke\",\"name\":\"nb\",\"data\":\"\"}\n')
except OSError:
    pass
f = s.makefile('rb'); print(f.readline().decode().strip())
try:
    rest = f.readline()
except OSError:
    rest = b''	# reset: the daemon closed with our request unread
print('eof' if not rest else 'more')" 2>&1)
chmod 0600 "$SOCK"
check_match "socket loosened to 0666: kfaasd still refuses another uid (SO_PEERCRED), closes" \
	'"ok":false.*serves root only.*eof' "$(echo $out)"
check_eq "... and logs the refusal" 1 "$(grep -c 'refused a client with uid 65534' "$LOG")"
q=$(pool_get victim '[.vms[] | select(.template==false)][0].pid')
check_eq "QEMU runs as the function's own uid, not root" \
	"$(st | jq -r '.functions[] | select(.name=="victim") | .qemu_uid')" \
	"$(awk '/^Uid:/ { print $2 }' /proc/$q/status)"
check_eq "... with no capabilities, NoNewPrivs and a seccomp filter" "0000000000000000 1 2" \
	"$(awk '/^CapEff:/ { c = $2 } /^NoNewPrivs:/ { n = $2 } /^Seccomp:/ { s = $2 }
		END { print c, n, s }' /proc/$q/status)"
check_match "... under -sandbox on with every optional filter" \
	"-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny" \
	"$(tr '\0' ' ' < /proc/$q/cmdline)"

diag "${SECONDS} s"
# ---- hostile clients of the control socket ------------------------------------
out=$(python3 "$here/ctl_hostile.py" "$SOCK" nb 2>&1); rc=$?
diag "$out"
check_eq "hostile control clients: each answered or dropped, kfaasd serves on" 0 $rc
check "... and is still the same process" kill -0 "$DPID"

diag "${SECONDS} s"
# ---- isolation -------------------------------------------------------------------
nbp=$(vm_pids nb)
out=$(load nb --count 40 --clients 2)
diag "neighbour alone: $out"
check_eq "the neighbour alone: 40 right replies" "40 0 0" \
	"$(echo "$out" | jq -r '[.ok, .wrong, .errors] | join(" ")')"
# each misbehaviour of the victim while the neighbour is loaded
isolate() {	# DESC REQUEST ERROR-REGEX
	inv victim "$2" > "$LOG.v" &
	local vp=$! out
	out=$(load nb --count 40 --clients 2 --start $((RANDOM * 10)))
	wait $vp
	diag "neighbour during '$2': $out"
	check_eq "victim $1: the neighbour serves 40 of 40, its VMs untouched" \
		"40 0 0 $nbp" "$(echo "$out" | jq -r '[.ok, .wrong, .errors] | join(" ")') $(vm_pids nb)"
	check_match "... and the victim's caller gets a clear error" "$3" \
		"$(jq -r .error "$LOG.v")"
}
isolate "loops" loop "timed out after 5000 ms"
wait_pool victim '.idle == 1' 15 >/dev/null
vp=$(vm_pids victim)
isolate "crashes" crash "signal 11"
isolate "fills its guest's memory" oom "signal 9|exited with status 2"
isolate "writes a huge response" "big 50000000" "wrote more than"
check_eq "... the victim's own VM survived all three and serves" "$vp after" \
	"$(vm_pids victim) $(inv victim 'echo after' | jq -r .reply)"
check_eq "neighbour counters: no timeout, crash or failed start" "0 0 0" \
	"$(pool_get nb '[.timeouts, .crashes, .failed_starts] | join(" ")')"
rm -f "$LOG.v"

diag "${SECONDS} s"
# ---- fresh instances ----------------------------------------------------------------
check_eq "default (warm VM reused): a file one invocation leaves, the next reads" \
	"stored secret-1" \
	"$(inv victim 'put secret-1' | jq -r .reply | tr -d '\n') $(inv victim get | jq -r .reply)"
v1=$(inv fr 'put secret-2')
v2=$(inv fr get)
check_eq "--fresh: the next invocation finds nothing" "stored nothing" \
	"$(echo "$v1" | jq -r .reply | tr -d '\n') $(echo "$v2" | jq -r .reply | tr -d '\n')"
check "... it ran in another VM" test "$(echo "$v1" | jq .vm)" != "$(echo "$v2" | jq .vm)"
check "... each used VM was discarded and replaced (pool back to 1 idle)" \
	wait_pool fr '.discarded >= 2 and .idle == 1' 15
check_match "kfaas fn show says so" "fresh \(a new VM per request\)" \
	"$("$KFAAS" fn show fr)"
check_eq "kfaas fn list shows fresh" "true false" \
	"$("$KFAAS" -j fn list | jq -r '[(.[] | select(.name=="fr") | .vm.fresh), (.[] | select(.name=="nb") | .vm.fresh)] | map(tostring) | join(" ")')"

diag "${SECONDS} s"
# ---- kill -9 during N (1000) concurrent invocations --------------------------------------
check "routes to the VM functions" sh -c "'$KFAAS' route add udp $PORT fn nb &&
	'$KFAAS' route add tcp $PORT fn nb && '$KFAAS' route add udp $((PORT + 1)) fn fr"
# ---- a flood of TCP clients: descriptors stay for the VMs ---------------------
check_eq "the daemon took its options (--max-conns 40, --tcp-timeout 3000)" "40 3000" \
	"$(st | jq -r '[.daemon.max_conns, .daemon.tcp_timeout_ms] | join(" ")')"
in_ns() { nsenter --net=/run/netns/"$NS" "$@"; }
# the flood's clients are counted once kfaasd has taken every one of them
# (held or refused, daemon status says), and held until the checks are done
r0=$(st | jq .daemon.tcp_refused)
coproc FLOOD { in_ns python3 "$here/tcp_flood.py" 127.0.0.1 $PORT 100; }
fp=$FLOOD_PID
read -r -t 60 opened <&"${FLOOD[0]}"
taken() { [ "$(st | jq ".daemon.tcp_conns + .daemon.tcp_refused - $r0")" = 100 ]; }
for i in $(seq 150); do taken && break; sleep 0.2; done
echo count >&"${FLOOD[1]}"
read -r -t 60 counts <&"${FLOOD[0]}"
check_eq "100 idle TCP clients, --max-conns 40: 60 closed at accept, 40 held" \
	"100 60 40" "$(echo "$counts" | jq -r '[.opened, .refused, .held] | join(" ")')"
check_eq "... meanwhile a UDP client and an invoke are served" "flood ok" \
	"$(in_ns python3 "$here/udp.py" 127.0.0.1 $PORT 'echo flood' | cut -d' ' -f2) $(inv nb 'echo ok' | jq -r .reply)"
check_eq "... and kfaasd counts the refused, still holding the rest" "60 40" \
	"$(st | jq -r "[.daemon.tcp_refused - $r0, .daemon.tcp_conns] | join(\" \")")"
eval "exec ${FLOOD[1]}>&-"
wait $fp
ctl_many() {	# hold N control connections, each pings: refused, answered
	python3 -c "
import socket
ss, refused, answered = [], 0, 0
for _ in range($1):
    s = socket.socket(socket.AF_UNIX); s.connect('$SOCK'); ss.append(s)
for s in ss:
    try:
        s.sendall(b'{\"cmd\":\"ping\"}\n')
    except OSError:
        pass	# refused and closed already: its message waits to be read
for s in ss:
    s.settimeout(60)
    try:
        d = s.makefile('rb').readline()
    except OSError:
        d = b''
    refused += b'too many control connections' in d
    answered += b'\"pid\"' in d
print(refused, answered)"
}
check_eq "80 control clients at once: the 16 over 64 refused with a message, 64 served" \
	"16 64" "$(ctl_many 80)"
check_eq "... and once they are gone, the next one is served" "pong" \
	"$(inv nb 'echo pong' | jq -r .reply)"
check_eq "a TCP client after the flood is served" "after flood" \
	"$(printf 'echo after flood' | in_ns socat -t 10 - TCP:127.0.0.1:$PORT)"
rm -f "$LOG.flood"
routes0=$("$KFAAS" -j route list | jq -c 'sort_by(.port, .proto)')
ids=$("$KFAAS" -j fn list | jq -r '[.[].id] | sort | join("|")')
old=$(live_qemus | sort | tr '\n' ' ')
s0=$("$KFAAS" -j stats nb | jq .invocations)
out1=$(load nb --count $N --clients 8 --kill-pid "$DPID" --kill-after $((N * 2 / 5)))
wait "$DPID" 2>/dev/null; DPID=
diag "before kill -9: $out1"
check_eq "kill -9 of kfaasd after $((N * 2 / 5)) of $N replies: none of them wrong" 0 \
	"$(echo "$out1" | jq .wrong)"
for i in $(seq 25); do [ -z "$(live_qemus)" ] && break; sleep 0.2; done
check_eq "its QEMU processes die with it" "" "$(live_qemus)"
check_eq "the route table is intact" "$routes0" \
	"$("$KFAAS" -j route list | jq -c 'sort_by(.port, .proto)')"
daemon_start
check_eq "kfaasd restarts" 0 $?
refilled() {
	wait_pool nb '.idle == 2' 30 && wait_pool victim '.idle == 1' 30 &&
		wait_pool fr '.idle == 1' 30
}
check "the pools are refilled to min-warm (nb 2, victim 1, fr 1)" refilled
left=""
for p in $old; do [ -d /proc/$p ] && left="$left $p"; done
check_eq "no QEMU of the killed daemon is left" "" "$left"
check_eq "no leaked socket or file: the run directory holds only the new daemon's" "" \
	"$(find "$RUN" -mindepth 1 | grep -vE "^$RUN/(kfaasd\.lock|control\.sock|fn|fn/($ids)(/(image\.cpio|tpl\.mem|tpl\.state))?|lifecycle|lifecycle/[0-9]+-[0-9]+\.(hist|cost)|logs|logs/[^/]+\.log(\.1)?)$")"
check_eq "one control socket, answering" "1 true" \
	"$(find "$RUN" -type s | wc -l) $("$KFAAS" -j daemon status | jq .daemon.pid | grep -q "$DPID" && echo true)"
sent=$(echo "$out1" | jq .next)
out2=$(load nb --count $((N - sent)) --clients 8 --start "$sent")
diag "after restart: $out2"
check_eq "the rest of the $N invocations: all right" "$((N - sent)) 0 0" \
	"$(echo "$out2" | jq -r '[.ok, .wrong, .errors] | join(" ")')"
lost=$(( sent - $(echo "$out1" | jq '.ok + .errors') ))
diag "$N invocations: $(echo "$out1" | jq .ok) before the kill, $lost in flight at the kill (failed), $(echo "$out2" | jq .ok) after"
check "every answered invocation was charged in the shared accounting" test \
	"$(( $("$KFAAS" -j stats nb | jq .invocations) - s0 ))" -ge \
	"$(( $(echo "$out1" | jq .ok) + $(echo "$out2" | jq .ok) ))"
check_eq "a UDP client through the route is served again" "via udp" \
	"$(nsenter --net=/run/netns/$NS python3 "$here/udp.py" 127.0.0.1 $PORT 'echo via udp' | cut -d' ' -f2-)"

diag "${SECONDS} s"
# ---- the end: a clean stop, no sanitizer report ---------------------------------------
daemon_stop
check_eq "SIGTERM: kfaasd stops cleanly (exit 0)" 0 $?
check_eq "nothing stays behind: no QEMU; the run directory keeps only what was learnt" "0 lifecycle" \
	"$(live_qemus | wc -l) $(ls "$RUN" | xargs)"
if [ -n "$SAN" ]; then
	check_eq "0 ASan/UBSan/LSan reports from kfaasd and the guest agents, no guest panic" \
		0 "$(reports)"
	check_match "... the guests did run the sanitizer build of the agent" \
		"kfaas-agent: the ASan\+UBSan build" \
		"$(grep 'console: ' "$LOG" | sed 's/.*console: //' | tr -d '\n')"
else
	skip "0 sanitizer reports" "no sanitizer build (make asan)"
	skip "the guests ran the sanitizer agent" "no sanitizer build (make asan)"
fi
[ $KTAP_FAIL = 0 ] || diag "kfaasd log (tail):" "$(grep -v 'debug: ' "$LOG" | tail -30)"
ktap_finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Error paths of the socket-tier commands: each bad request fails with a
# JSON error (-j) that says what to do, exits 1 and changes nothing.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/sk_lib.sh"
require_root
require_tools jq
ktap_plan 31

use_pin_root sk-cli
NS_SRV=kfs-skc-$$
ip netns add $NS_SRV || { echo "# netns failed"; exit 1; }
cleanup_add "ip netns del $NS_SRV"
ip -n $NS_SRV link set lo up

# jerr DESC REGEX CMD...: CMD fails (exit 1) with {"error": matching REGEX}
jerr() {
	local desc=$1 re=$2 out rc
	shift 2
	out=$("$@" 2>/dev/null)
	rc=$?
	if [ $rc = 1 ] && printf '%s' "$out" | jq -e --arg re "$re" \
		'.error | test($re)' >/dev/null 2>&1; then
		_result 0 "$desc"
	else
		_result 1 "$desc"
		diag "command: $* (exit $rc)" "output: $out" "wanted error ~ $re"
	fi
}

routes() { "$KFAAS" -j route list | jq -c '[.[] | [.proto, .port, .fn]]'; }

"$KFAAS" fn load "$B/bpf/lineecho.bpf.o" echo >/dev/null
"$KFAAS" fn load "$B/bpf/echo.bpf.o" xecho >/dev/null
check_eq "an SK_SKB object loads as a socket-tier function" "sk" \
	"$("$KFAAS" -j fn show echo | jq -r .tier)"
# a socket-tier function the kernel refuses: the verifier's reason shown
n_before=$("$KFAAS" -j fn list | jq length)
out=$("$KFAAS" fn load "$B/tests/bpf/sk_bad.bpf.o" bad 2>&1); rc=$?
check_match "an sk function the verifier refuses: fails, names the program" \
	"verifier rejected kfaas_fn_sk_bad" "$out"
check_match "... with the tail of the verifier log" \
	"invalid access to map value.*-- end of verifier log --" "$(echo "$out" | tr '\n' ' ')"
check_eq "... exit status 1, nothing registered" "1 $n_before" \
	"$rc $("$KFAAS" -j fn list | jq length)"
out=$("$KFAAS" -j fn load "$B/tests/bpf/sk_bad.bpf.o" bad)
check_match "-j: the error and the verifier_log" "rejected.* invalid access to map value" \
	"$(echo "$out" | jq -r '.error + " " + .verifier_log' | tr '\n' ' ')"
check "route add tcp PORT fn NAME" "$KFAAS" route add tcp 7000 fn echo
before=$(routes)

# ---- route add ----
jerr "a socket-tier function on udp" "serves TCP only" \
	"$KFAAS" -j route add udp 7001 fn echo
jerr "an XDP function on tcp" "serves UDP only" \
	"$KFAAS" -j route add tcp 7001 fn xecho
jerr "a tier that is not the function's" "runs in the sk tier, not xdp" \
	"$KFAAS" -j route add tcp 7001 fn echo xdp
jerr "the same trigger twice" "already exists" \
	"$KFAAS" -j route add tcp 7000 fn echo
jerr "a bad port" "bad port" "$KFAAS" -j route add tcp 70000 fn echo
check_eq "no route changed" "$before" "$(routes)"

# ---- sk serve / stop / show ----
jerr "sk stop without a listener" "no socket-tier listener serves" \
	"$KFAAS" -j sk stop
jerr "sk serve with an unknown option" "unexpected '--bogus'" \
	"$KFAAS" -j sk serve --bogus
jerr "sk serve --log in a directory that is not there" "cannot open --log" \
	"$KFAAS" -j sk serve --log /nonexistent/dir/log
jerr "an unknown sk command" "unknown command 'frobnicate'" \
	"$KFAAS" -j sk frobnicate
jerr "sk stop --timeout with a bad value" "bad value 'soon'" \
	"$KFAAS" -j sk stop --timeout soon
# the port is taken: serving fails, tells why, leaves nothing running
nsenter --net=/run/netns/$NS_SRV socat TCP-LISTEN:7000,reuseaddr,fork \
	SYSTEM:true 2>/dev/null &
busy=$!
cleanup_add "kill $busy"
wait_until 30 nsenter --net=/run/netns/$NS_SRV sh -c "ss -ltn | grep -q ':7000 '"
jerr "sk serve when another program has the port" \
	"cannot listen on tcp \\*:7000: Address already in use" \
	nsenter --net=/run/netns/$NS_SRV "$KFAAS" -j sk serve
check_eq "... and no listener runs" "false" "$(sk_show running)"
kill $busy; wait $busy 2>/dev/null
out=$(nsenter --net=/run/netns/$NS_SRV "$KFAAS" -j sk serve)
SK_PID=$(printf '%s' "$out" | jq -r '.pid | numbers')
cleanup_add "kill -9 $SK_PID 2>/dev/null"
check_eq "sk serve -j: the pid and one listener" "1" \
	"$(printf '%s' "$out" | jq -r '.listeners')"
jerr "a second listener for the same pin root" \
	"already serves .*'kfaas sk stop'" \
	nsenter --net=/run/netns/$NS_SRV "$KFAAS" -j sk serve --foreground
check_eq "sk show -j: running, its pid, the dispatcher set up" \
	"true $SK_PID true" \
	"$("$KFAAS" -j sk show | jq -r '"\(.running) \(.pid) \(.dispatcher)"')"

# ---- invoke ----
in_ns() { nsenter --net=/run/netns/$NS_SRV "$@"; }
jerr "invoke without a request" "needs a request: give --data" \
	in_ns "$KFAAS" -j invoke echo
jerr "invoke with --src (XDP only)" "--src and --vlan apply to XDP" \
	in_ns "$KFAAS" -j invoke echo --data x --src 10.0.0.1:5
jerr "invoke --dst for a port it is not routed on" "has no TCP route for that --dst" \
	in_ns "$KFAAS" -j invoke echo --data x --dst 127.0.0.1:7999
"$KFAAS" fn load "$B/bpf/kvtcp.bpf.o" kv >/dev/null
jerr "invoke of a function without a TCP route" "has no TCP route: add one" \
	in_ns "$KFAAS" -j invoke kv --data x
jerr "invoke where no listener runs (another netns)" "nothing listens on tcp 127.0.0.1:7000" \
	"$KFAAS" -j invoke echo --data x
jerr "invoke --repeat of a request it does not answer" "needs a request that 'echo' answers" \
	in_ns "$KFAAS" -j invoke echo --data "DROP"$'\n' --repeat 10
out=$(in_ns "$KFAAS" -j invoke echo --data "hi"$'\n')
check_eq "invoke -j: verdict, reply and where it went" \
	"REPLY hi tcp 127.0.0.1:7000" \
	"$(printf '%s' "$out" | jq -r '"\(.verdict) \(.reply | rtrimstr("\n")) \(.via)"')"

# ---- stop ----
check "sk stop stops it" "$KFAAS" sk stop
jerr "fn unload of a routed sk function" "serves 1 route" \
	"$KFAAS" -j fn unload echo
ktap_finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark machinery (make bench) in its seconds-long smoke mode:
# every benchmark runs end to end against the real kernel, its results
# are well-formed JSON, the table and the plots are made, the traffic
# benchmarks really were answered by the tier they claim, and nothing is
# left behind.  Timings are never judged here: docs/performance.md.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools jq gnuplot nsenter ethtool python3
top=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$B/bench/kfaas-bench" ] || ktap_skip_all "bench tools not built (make all)"
ktap_plan 45

out=$(mktemp -d /tmp/kfaas-bench-smoke.XXXXXX)
cleanup_add "rm -rf $out"
# this run's own objects only: other benchmarks may run beside it (every
# pin root, network namespace and run directory of run.sh carries the tag)
export KFAAS_BENCH_TAG=smoke$$
pins() { ls -d /sys/fs/bpf/kfaas-bench-$KFAAS_BENCH_TAG* 2>/dev/null | wc -l; }
nets() { ip netns list | grep -cE -- "-$KFAAS_BENCH_TAG(-| |\$)"; }
# processes the run starts: nginx and the socket-tier listener (their
# files under the results folder), memcached (on the sandbox's address
# 10.175.0.1), udpsrv and uringsrv (this build's: other worktrees' smoke
# runs use the same address), kfaasd (run directories
# /run/kfaasd-bench-*, their QEMU too), the bench's guest of
# tools/vm/run.sh (its script, not every guest: the kmod tests' may boot
# beside it)
procs() { pgrep -fc "$out/|/run/kfaasd-bench-$KFAAS_BENCH_TAG|tools/bench/guest\.sh|memcached .*-l 10\.175\.0\.1 |--cluster-prefix /kfaas-bench-$KFAAS_BENCH_TAG/|$B/bench/(udpsrv|uringsrv) " || true; }
procs0=$(procs)

check_fail "an unknown option is refused" "$top/tools/bench/run.sh" --build "$B" --bogus
"$top/tools/bench/run.sh" --build "$B" --smoke --out "$out" >"$out/table.txt" 2>"$out/stderr.txt"
rc=$?
check_eq "run.sh --smoke succeeds" 0 $rc
[ $rc = 0 ] || diag "$(tail -n 20 "$out/stderr.txt")"
R=$out/results.json
check "results.json is JSON" jq -e . "$R"
# a query of the results; an error of jq (missing file, bad JSON, a field
# of the wrong type) is output no check expects, never an empty string
q() {
	local o
	o=$(jq -r "$1" "$R" 2>&1) || { echo "jq failed: $o"; return 1; }
	printf '%s\n' "$o"
}
check_eq "schema and mode" "kfaas-bench/1 smoke" "$(q '"\(.schema) \(.mode)"')"
check_match "the machine is recorded (CPU, cores, kernel)" '^.+ [1-9][0-9]* [0-9]+\.' \
	"$(q '"\(.machine.cpu) \(.machine.cores) \(.machine.kernel)"')"
check_eq "all thirteen benchmarks, once each" "chain cluster dispatch invoker kmod lcreplay lifecycle live memcached routes socket udp vm" \
	"$(q '[.benchmarks[].id] | sort | join(" ")')"
# each "none bad" check says how many it looked at: none looked at fails
check_eq "each is ok or not available (some ok), none failed" "true:" \
	"$(q '"\([.benchmarks[] | select(.status == "ok")] | length > 0):\([.benchmarks[] |
	       select(.status != "ok" and .status != "not available") | .id] | join(" "))"')"
check_eq "what is not available says why and has no number" "true:" \
	"$(q '"\(.rows | length > 0):\([.rows[] | select(.status != "ok") |
	       select((.reason // "") == "" or .kfaas != null or .ratio != null or .met != null) |
	       .what] | join("|"))"')"
check_eq "... and so does its benchmark" "" \
	"$(q '.benchmarks[] | select(.status != "ok") | select((.reason // "") == "") | .id')"
check_eq "every measured figure (every ok benchmark has some) is a positive number with a unit (a count of pairs may be 0)" "true:" \
	"$(q '. as $r | "\([.benchmarks[] | select(.status == "ok") | .id as $i |
	       [$r.rows[] | select(.status == "ok" and (.bench | endswith(" " + $i)))] | length > 0] |
	       all):\([.rows[] | select(.status == "ok") | select(.unit != "pairs" or .kfaas < 0) |
	       select((.kfaas | type) != "number" or .kfaas <= 0 or (.alt | type) != "number" or
		      .alt <= 0 or (.ratio | type) != "number" or .ratio <= 0 or .unit == null) |
	       .what] | join("|"))"')"
check_eq "the ratio of a met target agrees with the target" "" \
	"$(q '.rows[] | select(.met == true and (.target | test("^>="))) |
	       select(.ratio < (.target | capture("(?<n>[0-9.]+)").n | tonumber)) | .what')"
check_eq "dispatch: every variant measured in every round" "15 3" \
	"$(q '.benchmarks[] | select(.id == "dispatch") | .variants as $v |
	       "\($v | length) \([$v[].ns_rounds | length] | unique | join(","))"')"
check_eq "chain: every variant measured in every round" "4 3" \
	"$(q '.benchmarks[] | select(.id == "chain") | .variants as $v |
	       "\($v | length) \([$v[].ns_rounds | length] | unique | join(","))"')"
check_eq "chain: a client's round trips, every round: the chain and one function 1 a request, 3 separate calls 3, every reply right" \
	"chain3:1 one_fn:1 three_calls:3 rounds:true bad:0" \
	"$(q '.benchmarks[] | select(.id == "chain") | .round_trips | .params as $p |
	       "\(.summary | to_entries | sort_by(.key) | map("\(.key):\(.value.round_trips_per_req)") |
		 join(" ")) rounds:\(.runs | map(.round) | unique | length == $p.rounds) bad:\([.runs[].bad] | add)"')"
check_eq "routes: 1, 10 and 1000 routes measured" "routes_1 routes_10 routes_1000" \
	"$(q '[.benchmarks[] | select(.id == "routes") | .variants | keys[] |
	       select(startswith("routes_"))] | sort_by(ltrimstr("routes_") | tonumber) | join(" ")')"
# 2 beside xdp-loader's real dispatcher: on the host when its kernel lets
# libxdp load it, else in the test guest (this host's 6.18 refuses
# freplace); the guest also runs 8, so when 8 ran, 2's guest part must have
hostx=$(q '.benchmarks[] | select(.id == "routes") | .params.libxdp')
km=$(q '.benchmarks[] | select(.id == "kmod") | .status')
command -v xdp-loader >/dev/null || km="ok, but xdp-loader is missing (xdp-tools: tools/deps.sh)"
if [ "$hostx" = true ] || [ "$km" = ok ]; then
	check_eq "routes: kfaas beside xdp-loader's dispatcher, 1 and 10 programs, measured" \
		"1 program|10 programs, request for the last" \
		"$(q '[.rows[] | select(.bench == "2 routes" and .status == "ok") | .what |
		       capture("vs xdp-loader, (?<n>[^)]*)\\)").n] | join("|")')"
else
	skip "routes: kfaas beside xdp-loader's dispatcher, 1 and 10 programs, measured" \
		"libxdp refused on the host and the guest cannot run (kmod $km)"
fi
if [ "$hostx" != true ] && [ "$km" = ok ]; then
	check_eq "routes: the guest's rows carry its kernel and accelerator, the host's refusal stays" \
		"$(q '.benchmarks[] | select(.id == "kmod") | .params |
		       "[\(.guest_kernel | split(".")[0:2] | join(".")) guest, \(.accelerator | ascii_upcase)]"') 5 1" \
		"$(q '.benchmarks[] | select(.id == "routes") | .guest.label as $l |
		       "\($l) \([.rows[] | select(.what | endswith(" " + $l))] | length) \([.rows[] |
		       select(.status == "not available" and (.what | contains("xdp-loader")))] | length)"')"
	check_eq "routes and kmod: one guest boot for both, xdp-loader's dispatcher really measured" \
		"shared with routes (2) libxdp1 libxdp10_last" \
		"$(q '"\(.benchmarks[] | select(.id == "kmod") | .params.guest_boot) \(.benchmarks[] |
		       select(.id == "routes") | .guest.variants | keys | map(select(startswith("libxdp"))) |
		       join(" "))"')"
else
	skip "routes: the guest's rows carry its kernel and accelerator, the host's refusal stays" \
		"$([ "$hostx" = true ] && echo "the host ran libxdp itself" || echo "kmod $km")"
	skip "routes and kmod: one guest boot for both, xdp-loader's dispatcher really measured" \
		"$([ "$hostx" = true ] && echo "the host ran libxdp itself" || echo "kmod $km")"
fi
km=$(q '.benchmarks[] | select(.id == "kmod") | .status')
check_eq "udp: every reply was right (no bad replies)" 0 \
	"$(q '[.benchmarks[] | select(.id == "udp") | .runs[].bad] | add')"
check_eq "udp: the XDP tier answered its runs itself" "true:" \
	"$(q '[.benchmarks[] | select(.id == "udp") | .runs[] | select(.tier == "xdp")] |
	       "\(length > 0):\([.[] | select(.replies < 1 or .xdp_invocations < .replies) |
	       "\(.mode) \(.window)"] | join(","))"')"
check_eq "udp: the userspace server answered its runs, XDP saw none" "true:" \
	"$(q '[.benchmarks[] | select(.id == "udp") | .runs[] | select(.tier == "user")] |
	       "\(length > 0):\([.[] | select(.replies < 1 or .xdp_invocations != 0) |
	       "\(.mode) \(.window)"] | join(","))"')"
# both generators drove both servers (the AF_XDP one unless the kernel
# lacks AF_XDP, said with a reason); its rows stand beside the socket's
xsk=$(q '.benchmarks[] | select(.id == "udp") | .params.af_xdp')
if [ "$xsk" = measured ]; then
	check_eq "udp: the socket and the AF_XDP generator each drove both servers" \
		"af_xdp:user af_xdp:xdp socket:user socket:xdp" \
		"$(q '[.benchmarks[] | select(.id == "udp") | .runs[] |
		       select(.replies > 0 and .bad == 0) | "\(.generator):\(.tier)"] | unique | join(" ")')"
	check_eq "udp: an AF_XDP generator row beside each socket generator row" \
		"$(q '[.rows[] | select(.bench == "3 udp" and .status == "ok") |
		       select(.what | test("offered|per server core") | not) |
		       select(.what | endswith("AF_XDP generator") | not)] | length')" \
		"$(q '[.rows[] | select(.bench == "3 udp" and .status == "ok") |
		       select(.what | endswith(", AF_XDP generator"))] | length')"
else
	check_match "udp: the AF_XDP generator is not available, with a reason" \
		'^not available: .+' "$xsk"
	check_eq "udp: ... and a row says so" "not available" \
		"$(q '.rows[] | select(.bench == "3 udp" and (.what | endswith("AF_XDP generator"))) | .status')"
fi
# 3's server CPU per request: the three servers at the same offered load,
# every reply right and from the tier named (run.sh fails otherwise),
# each run's server CPU counted
check_eq "udp: XDP, the bare echo (echo only), epoll and io_uring each measured in server CPU per request" \
	"echo:bare echo:epoll echo:io_uring echo:xdp kv:epoll kv:io_uring kv:xdp" \
	"$(q '.benchmarks[] | select(.id == "udp") | .cpu.params.offered_rps as $rate |
	       [.cpu.runs[] | select(.replies > 0 and .bad == 0 and
		.server_ns_per_req > 0 and .offered_rps == $rate) |
		"\(.mode):\(.tier)"] | unique | join(" ")')"
# 10: memcached answered every request right, alone and behind the cache,
# and the cache answered the hits (or memcached is not installed, said)
mcs=$(q '.benchmarks[] | select(.id == "memcached") | .status')
if [ "$mcs" = ok ]; then
	check_eq "memcached: both configurations, every reply right, the cache hit" \
		"alone:0:0 cache:0:true" \
		"$(q '[.benchmarks[] | select(.id == "memcached") | .runs[] |
		       select(.replies > 0) | "\(.config):\(.bad):\(if .config == "cache"
		       then .hits > 0 else .hits end)"] | unique | join(" ")')"
else
	skip "memcached: both configurations, every reply right, the cache hit" "memcached $mcs"
fi
check_eq "live: every frame reached the peer" true \
	"$(q '.benchmarks[] | select(.id == "live") |
	       .params.peer_received >= (.params.repeat * .params.rounds * 3)')"
check_eq "invoker: both tools ran in every round" "2 2" \
	"$(q '.benchmarks[] | select(.id == "invoker") | "\(.runs | length) \([.runs[] | select(.kfaas_ns > 0 and .bpftool_ns > 0)] | length)"')"
# 6: both servers served every request, each by itself
check_eq "socket: three placements, both servers, no errors, no non-2xx" \
	"cpu:kfaas cpu:nginx default:kfaas default:nginx split:kfaas split:nginx" \
	"$(q '[.benchmarks[] | select(.id == "socket") | .runs[] |
	       select(.requests > 0 and .non2xx == 0 and .socket_errors == 0) |
	       "\(.placement):\(.tier)"] | unique | join(" ")')"
check_eq "socket: the kernel answered the socket tier's requests, none of nginx's" "true:" \
	"$(q '[.benchmarks[] | select(.id == "socket") | .runs[]] | "\(length > 0):\([.[] |
	       select((.tier == "kfaas" and .kfaas_invocations < .requests) or
		      (.tier == "nginx" and .kfaas_invocations != 0)) |
	       "\(.placement) \(.tier)"] | join(","))"')"
check_eq "socket: server CPU per request counted for both servers, the kernel threads' share for the socket tier" \
	"kfaas:true nginx:true" \
	"$(q '[.benchmarks[] | select(.id == "socket") | .runs[] | select(.placement == "cpu") |
	       "\(.tier):\(.server_ns_per_req > 0 and (.tier == "nginx" or .server_cpu.kthread > 0))"] |
	       unique | join(" ")')"
check_eq "socket: the same body from both" "17 17" \
	"$(q '.benchmarks[] | select(.id == "socket") | .params.response_bytes |
	       "\(.kfaas.body) \(.nginx.body)"')"
# 7 and 8 need QEMU and Debian's kernel: measured, or not available with
# a reason (checked above for every row)
vm=$(q '.benchmarks[] | select(.id == "vm") | .status')
if [ "$vm" = ok ]; then
	check_eq "vm: cold and clone starts measured, a warm run and memory of each, resident vs a process per request" \
		"cold:start cold:warm clone:mode clone:start clone:warm" \
		"$(q '[.benchmarks[] | select(.id == "vm") | .runs[] |
		       select((.first_ms // 1) > 0 and (.rss_mib // 1) > 0) | "\(.vm):\(.what)"] |
		       unique | sort_by(. | test("clone")) | join(" ")')"
	check_eq "vm: every row names the accelerator" "true:" \
		"$(q '.benchmarks[] | select(.id == "vm") | (.params.accelerator | ascii_upcase) as $a |
		       "\(.rows | length > 0):\([.rows[] | select(.what | contains("[" + $a + "]") | not) |
		       .what] | join("|"))"')"
else
	skip "vm: cold and clone starts measured, a warm run and memory of each, resident vs a process per request" "VM tier $vm"
	skip "vm: every row names the accelerator" "VM tier $vm"
fi
if [ "$km" = ok ]; then
	check_eq "kmod: module, maps and none through the dispatcher, in the guest" \
		"kfaas_dispatch -> kfaas_fn_echo|kfaas_dispatch_ -> kfaas_fnk_echo|kfaas_dispatch -> kfaas_fn_noacct" \
		"$(q '.benchmarks[] | select(.id == "kmod") | .params.programs |
		       "\(.maps)|\(.module)|\(.none)"')"
	check_eq "kmod: kfaas.ko counted every invocation of its variant" true \
		"$(q '.benchmarks[] | select(.id == "kmod") |
		       .params.module_invocations >= .params.repeat * .params.rounds')"
	check_eq "kmod: every row names the accelerator" "true:" \
		"$(q '.benchmarks[] | select(.id == "kmod") | (.params.accelerator | ascii_upcase) as $a |
		       "\(.rows | length > 0):\([.rows[] | select(.what | contains("[" + $a + " guest]") | not) |
		       .what] | join("|"))"')"
else
	skip "kmod: module, maps and none through the dispatcher, in the guest" "kmod $km"
	skip "kmod: kfaas.ko counted every invocation of its variant" "kmod $km"
	skip "kmod: every row names the accelerator" "kmod $km"
fi
check_eq "lifecycle: every policy replayed the whole generated trace, auto's decisions timed" \
	"11 1 true" \
	"$(q '.benchmarks[] | select(.id == "lifecycle") | "\(.policies | length) \([.policies[].invocations] |
	       unique | length) \(.params.trace.invocations == .policies[0].invocations and
	       ([.policies[] | select(.policy == "auto")][0].decisions > 0))"')"
lr=$(q '.benchmarks[] | select(.id == "lcreplay") | .status')
if [ "$lr" = ok ]; then
	check_eq "lcreplay: every policy replayed every call, all answered" "3 0 true" \
		"$(q '.benchmarks[] | select(.id == "lcreplay") | [.runs[].replay] |
		       "\(length) \([.[].errors + .[].wrong] | add) \([.[].requests] | unique | length == 1 and .[0] > 0)"')"
else
	skip "lcreplay: every policy replayed every call, all answered" "lcreplay $lr"
fi
# 12: every apply reached every node and each of its routes answered,
# for every size and route count (the smoke mode kills no node)
check_eq "cluster: every apply (of each size and route count) served by every node on every route" \
	"true true" \
	"$(q '.benchmarks[] | select(.id == "cluster") | .runs as $r |
	       "\($r.convergence | length > 0 and all(.answered == .nodes and .swept_ok == .nodes))
\((.summary.convergence | length) == (.params.sizes | split(" ") | length) * (.params.routes | split(" ") | length))"' | tr '\n' ' ' | sed 's/ $//')"
check_eq "the table has a line per figure" "$(q '.rows | length')" \
	"$(grep -cE '^[0-9]+ ' "$out/table.txt")"
# (13 has a second: a client's round trips)
want=$(q '[.benchmarks[] | select(.status == "ok") | "\(.id).svg",
	   (select(.id == "chain") | "chain-rt.svg")] | sort | join(" ")')
check_eq "a plot per measured benchmark" "$want" "$(cd "$out" && ls *.svg | sort | tr '\n' ' ' | sed 's/ $//')"
check "the plots are well-formed SVG" python3 -c '
import sys, xml.etree.ElementTree as E
for f in sys.argv[1:]:
    assert E.parse(f).getroot().tag.endswith("svg"), f' "$out"/*.svg
check_eq "no pin root, network namespace or process of this run left behind" "0 0 $procs0" \
	"$(pins) $(nets) $(procs)"
check_eq "no kfaasd run directory left behind" "" \
	"$(ls -d /run/kfaasd-bench-$KFAAS_BENCH_TAG* 2>/dev/null)"
check "the default results folder is not tracked by git" git -C "$top" check-ignore -q results/latest
ktap_finish

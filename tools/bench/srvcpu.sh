# SPDX-License-Identifier: GPL-2.0
# Server CPU time per request, the accounting of benchmarks 3 and 6
# (sourced by tools/bench/run.sh; docs/performance.md, "Server CPU per
# request").
#
# The server side is made to run on CPU 1 only, the client side on
# CPU 0 only, for every server alike:
#   - both veth ends take every packet through their NAPI (GRO on; TSO
#     off, else veth hands TCP skbs to the backlog of the sending CPU
#     instead), and that NAPI runs threaded: the server end's kthread
#     pinned to CPU 1 (the whole receive path of the server: XDP, the
#     socket tier's verdicts, IP/UDP/TCP into the socket), the client
#     end's to CPU 0;
#   - the server process (udpsrv, uringsrv, nginx) pinned to CPU 1.
# The server's CPU time is then the runtime (/proc/TID/schedstat, ns) of
# the server end's NAPI kthread, of every thread of the server process,
# and of CPU 1's own kernel threads (ksoftirqd/1, kworker/1:*: the socket
# tier's psock work items run there), summed over the run.  This kernel
# has no IRQ time accounting (CONFIG_IRQ_TIME_ACCOUNTING off): a hard or
# soft interrupt is charged to the thread it interrupted, so softirq
# work done inside those threads is in their runtime.  Other tenants of
# the machine are not: their processes are not in the sum, which a
# CPU-wide /proc/stat figure could not exclude.  /proc/stat's split of
# CPU 1 is recorded beside it, to show what else ran there.
#
# Needs: in_srv, in_cli, NS_SRV, SRV_IF, NS_CLI, CLI_IF (tools/sandbox.sh).

SRVCPU_CPU=1	# the server's CPU
SRVCPU_CLI=0	# the client's

# threaded NAPI on NETNS's IF, its kthread pinned to CPU: its pid.  The
# kthread that appears when threading is turned on: others may carry the
# same name (an interface of that name in another namespace, or one
# whose namespace is still being torn down), and the oldest is not ours.
srvcpu_napi() {	# netns if cpu
	local pid old
	old=$(pgrep "^napi/$2-")
	ip netns exec "$1" sh -c "echo 1 > /sys/class/net/$2/threaded" || return 1
	pid=$(pgrep "^napi/$2-" | grep -vxF "${old:-none}" | head -n 1)
	[ -n "$pid" ] && taskset -p -c "$3" "$pid" >/dev/null && echo "$pid"
}

# the placement above on the sandbox's veth pair; sets SRVCPU_NAPI
srvcpu_place() {
	local ns_ dev
	for ns_ in "$NS_SRV:$SRV_IF" "$NS_CLI:$CLI_IF"; do
		dev=${ns_#*:}
		ip netns exec "${ns_%%:*}" ethtool -K "$dev" gro on tso off >/dev/null ||
			{ echo "ethtool -K $dev gro on tso off failed" >&2; return 1; }
		ip netns exec "${ns_%%:*}" sh -c "echo 0 >/sys/class/net/$dev/queues/rx-0/rps_cpus" ||
			return 1
	done
	SRVCPU_NAPI=$(srvcpu_napi "$NS_SRV" "$SRV_IF" $SRVCPU_CPU) &&
	srvcpu_napi "$NS_CLI" "$CLI_IF" $SRVCPU_CLI >/dev/null ||
		{ echo "no threaded NAPI on the veth pair" >&2; return 1; }
}

# "CLASS TID NS" of every thread counted as the server's: the NAPI
# kthread (napi), the processes given, all their threads (proc), CPU 1's
# kernel threads (kthread)
srvcpu_sample() {	# pid...
	local p t c
	for p in "$SRVCPU_NAPI" "$@" $(pgrep -x "ksoftirqd/$SRVCPU_CPU|kworker/$SRVCPU_CPU:.*"); do
		case "$(cat /proc/"$p"/comm 2>/dev/null)" in
		napi/*) c=napi ;; ksoftirqd/*|kworker/*) c=kthread ;; *) c=proc ;;
		esac
		for t in /proc/"$p"/task/*; do
			[ -r "$t/schedstat" ] || continue
			echo "$c ${t##*/} $(cut -d' ' -f1,3 "$t/schedstat" 2>/dev/null)"
		done
	done
}

# {"total", "napi", "proc", "kthread"} ns between two samples, and the
# NAPI kthread's wake-ups (a thread missing from the first started at 0)
srvcpu_diff() {	# before after
	awk 'NR == FNR { b[$2] = $3; w[$2] = $4; next }
	     $3 != "" { d = $3 - b[$2]; s[$1] += d; t += d; if ($1 == "napi") n += $4 - w[$2] }
	     END { printf "{\"total\": %.0f, \"napi\": %.0f, \"proc\": %.0f, \"kthread\": %.0f, \"napi_runs\": %.0f}\n",
		   t, s["napi"], s["proc"], s["kthread"], n }' "$1" "$2"
}

# CPU 1's /proc/stat time split between two snapshots, % (all tenants)
srvcpu_stat() { grep "^cpu$SRVCPU_CPU " /proc/stat; }
srvcpu_split() {	# before-line after-line -> JSON
	echo "$1 $2" | awk '{ n = NF / 2; t = 0; for (i = 2; i <= n; i++) { d[i] = $(i + n) - $i; t += d[i] }
	  if (t <= 0) t = 1
	  printf "{\"usr\": %.0f, \"sys\": %.0f, \"softirq\": %.0f, \"idle\": %.0f}\n",
		100 * (d[2] + d[3]) / t, 100 * d[4] / t, 100 * (d[7] + d[8]) / t,
		100 * (d[5] + d[6]) / t }'
}

# srvcpu_run FILE-PREFIX PIDS -- CMD...: run CMD (a load generator printing
# its JSON report with "replies", or wrk_run's with "requests"), and add
# to its JSON the server's CPU over the run: server_cpu (ns, by class),
# server_ns_per_req, and CPU 1's /proc/stat split
srvcpu_run() {
	local f=$1 pids="" out cpu s0 s1
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do pids="$pids $1"; shift; done
	shift
	# shellcheck disable=SC2086
	srvcpu_sample $pids >"$f.0"; s0=$(srvcpu_stat)
	out=$("$@") || { rm -f "$f.0"; return 1; }
	# shellcheck disable=SC2086
	srvcpu_sample $pids >"$f.1"; s1=$(srvcpu_stat)
	cpu=$(srvcpu_diff "$f.0" "$f.1")
	rm -f "$f.0" "$f.1"
	echo "$out" | jq -c --argjson cpu "$cpu" --argjson split "$(srvcpu_split "$s0" "$s1")" \
		'((.replies // .requests) // 0) as $n
		 | . + {server_cpu: $cpu, cpu1_split: $split,
			server_ns_per_req: (if $n > 0 then ($cpu.total / $n | round) else null end),
			requests_per_napi_run: (if $cpu.napi_runs > 0 then ($n / $cpu.napi_runs * 10 | round / 10) else null end)}'
}

# The run's threads on the placement above, real-time so that the other
# tenants of a shared machine do not put their time slices into every
# request's path: NAPI kthreads SCHED_FIFO 60, the processes given (the
# servers, all their threads) SCHED_FIFO 50; generators are started
# under `chrt -f 50` (SRVCPU_RT).
SRVCPU_RT="chrt -f 50"
srvcpu_rt() {	# pid...
	local p
	for p in "$SRVCPU_NAPI" $(pgrep "^napi/$CLI_IF-"); do
		chrt -f -p 60 "$p" >/dev/null || return 1
	done
	for p in "$@"; do chrt -a -f -p 50 "$p" >/dev/null || return 1; done
}

# ---- 3: server CPU per request, XDP tier vs epoll vs io_uring ---------------
# At one offered load (udpload --rate SRVCPU_RATE, window WINDOW), the
# same for the three servers: the XDP tier (dispatcher -> echo / kv on
# the server end), udpsrv (epoll, ports 7 / 11211, already running: its
# pid given) and uringsrv (io_uring, started here on 17 / 11217); beside
# them, for echo, the floor of the path: the bare echo XDP program
# (bench/bpf/bare_echo.bpf.o, no kfaas) in the XDP tier's place.  Per
# round, tier and mode a warm-up run, then a measured run wrapped in
# srvcpu_run.  Needs run.sh's B KFAAS OUT WINDOW KV_KEYS VALUE_SIZE
# UDP_ROUNDS SRVCPU_RATE SRVCPU_TIME SRVCPU_WARM.  Prints one JSON object:
# {params, summary, runs, rows}.  Longer than 80 lines, as run.sh's
# bench_* are: the run loop and the jq summary of its runs belong together.
# wait until the server NAME (PID) has bound its UDP ports (server netns)
udp_bound() {	# name pid port...
	local n=$1 p=$2 i re
	shift 2
	re=":($(echo "$@" | tr ' ' '|'))\$"
	for i in $(seq 1 100); do
		kill -0 "$p" 2>/dev/null || { echo "$n did not start" >&2; return 1; }
		[ "$(in_srv ss -Hlun | awk '{ print $4 }' | grep -cE "$re")" -ge $# ] &&
			return 0
		sleep 0.05
	done
	echo "$n did not bind its ports" >&2
	return 1
}
srvcpu_gen() {	# port mode seconds
	in_cli $SRVCPU_RT taskset -c $SRVCPU_CLI "$B/bench/udpload" --dst $SRV4 \
		--port $1 --mode $2 --window $WINDOW --time $3 --warmup 0 \
		--rate $SRVCPU_RATE --keys $KV_KEYS --value-size $VALUE_SIZE
}
# UDP datagrams the server netns's stack received (Udp InDatagrams)
udp_in() { in_srv awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $2 }' /proc/net/snmp; }
srvcpu_udp() {	# epoll-server-pid
	local ep=$1 ur r tier m port pid before after out runs=$OUT/srvcpu.runs u0 u1
	nsenter --net=/run/netns/"$NS_SRV" taskset -c $SRVCPU_CPU "$B/bench/uringsrv" \
		--addr $SRV4 --echo 17 --kv 11217 --keys $KV_KEYS --value-size $VALUE_SIZE &
	ur=$!
	cleanup_add "kill $ur"
	udp_bound uringsrv $ur 17 11217 || return 1
	srvcpu_place && srvcpu_rt "$ep" "$ur" || return 1
	: >"$runs"
	for r in $(seq 1 $UDP_ROUNDS); do
		for tier in xdp bare epoll io_uring; do
			in_srv "$KFAAS" net detach "$SRV_IF" >/dev/null 2>&1
			if [ $tier = xdp ]; then
				in_srv "$KFAAS" net attach "$SRV_IF" native >/dev/null || return 1
			elif [ $tier = bare ]; then
				ip -n "$NS_SRV" link set dev "$SRV_IF" xdpdrv \
					obj "$B/bench/bpf/bare_echo.bpf.o" sec xdp || return 1
			fi
			pid=$([ $tier = epoll ] && echo "$ep"; [ $tier = io_uring ] && echo "$ur")
			for m in echo kv; do
				[ $tier = bare ] && [ $m = kv ] && continue	# it echoes
				port=$([ $m = echo ] && echo 7 || echo 11211)
				[ $tier = io_uring ] && port=$((port == 7 ? 17 : 11217))
				srvcpu_gen $port $m $SRVCPU_WARM >/dev/null ||
					{ echo "udpload failed: $tier $m (warm-up)" >&2; return 1; }
				before=$("$KFAAS" -j stats $m | jq .invocations); u0=$(udp_in)
				# shellcheck disable=SC2086
				out=$(srvcpu_run "$OUT/srvcpu" $pid -- srvcpu_gen $port $m $SRVCPU_TIME) ||
					{ echo "udpload failed: $tier $m" >&2; return 1; }
				after=$("$KFAAS" -j stats $m | jq .invocations); u1=$(udp_in)
				# every reply right, and from the tier named: kfaas
				# invoked for each (xdp) or never; the stack reached by
				# each (userspace) or by less than 1 in 10 (XDP)
				echo "$out" | jq -e --arg t $tier --argjson inv $((after - before)) \
					--argjson udp $((u1 - u0)) \
					'.bad == 0 and .replies > 0 and
					 (if $t == "xdp" then $inv >= .replies else $inv == 0 end) and
					 (if $t == "xdp" or $t == "bare" then $udp * 10 < .replies
					  else $udp >= .replies end)' >/dev/null ||
					{ echo "wrong replies or answered by the wrong tier: $tier $m: $out (kfaas invocations $((after - before)), stack datagrams $((u1 - u0)))" >&2; return 1; }
				echo "$out" | jq -c --arg tier $tier --argjson round $r \
					--argjson inv $((after - before)) --argjson udp $((u1 - u0)) \
					'. + {tier: $tier, round: $round, xdp_invocations: $inv,
					      stack_datagrams: $udp}' >>"$runs"
			done
			[ $tier = bare ] && ip -n "$NS_SRV" link set dev "$SRV_IF" xdpdrv off
		done
	done
	in_srv "$KFAAS" net detach "$SRV_IF" >/dev/null 2>&1
	jq -s --argjson rate $SRVCPU_RATE --argjson rounds $UDP_ROUNDS --argjson w $WINDOW \
		--arg place "server side on CPU $SRVCPU_CPU, client side on CPU $SRVCPU_CLI: server veth end's threaded NAPI kthread (XDP, or the receive path into the socket) and udpsrv/uringsrv pinned to CPU $SRVCPU_CPU; client veth end's NAPI kthread and udpload pinned to CPU $SRVCPU_CLI; GRO on, TSO off, no RPS; NAPI kthreads SCHED_FIFO 60, servers and generator SCHED_FIFO 50" \
		--arg acct "server CPU = runtime (/proc/TID/schedstat) of the server veth end's NAPI kthread + every thread of the server process + CPU $SRVCPU_CPU's ksoftirqd and kworkers, over the measured run; no IRQ time accounting in this kernel, so softirq and hardirq time is charged to the thread it interrupted; divided by the replies" '
	def med: sort | if length == 0 then null elif length % 2 == 1 then .[length/2|floor]
		else (.[length/2-1] + .[length/2]) / 2 end;
	def r3: if . == null then null else (. * 1000 | round / 1000) end;
	def one($r; $m; $t): [.[] | select(.round == $r and .mode == $m and .tier == $t)][0];
	. as $runs
	| [ ("echo", "kv") as $m
	    | [$runs[] | select(.mode == $m)] as $x
	    | def tier($t): [$x[] | select(.tier == $t)] |
		{ns_per_req: ([.[].server_ns_per_req] | med), rps: ([.[].rps] | med),
		 p50_us: ([.[].latency_us.p50] | med), p99_us: ([.[].latency_us.p99] | med),
		 requests_per_napi_run: ([.[].requests_per_napi_run] | med),
		 ns_min: ([.[].server_ns_per_req] | min), ns_max: ([.[].server_ns_per_req] | max),
		 napi_ns_per_req: ([.[] | .server_cpu.napi / .replies] | med | round),
		 proc_ns_per_req: ([.[] | .server_cpu.proc / .replies] | med | round),
		 kthread_ns_per_req: ([.[] | .server_cpu.kthread / .replies] | med | round)};
	      (tier("epoll")) as $e | (tier("io_uring")) as $u
	      | {mode: $m, xdp: tier("xdp"), epoll: $e, io_uring: $u,
		 best: (if $u.ns_per_req < $e.ns_per_req then "io_uring" else "epoll" end),
		 ns_ratio_best: ([range(1; $rounds + 1) as $r | $x
			| (one($r; $m; "xdp").server_ns_per_req) /
			  ([one($r; $m; "epoll").server_ns_per_req, one($r; $m; "io_uring").server_ns_per_req] | min)]
			| med | r3),
		 p99_ratio_best: ([range(1; $rounds + 1) as $r | $x
			| (one($r; $m; "xdp").latency_us.p99) /
			  ([one($r; $m; "epoll").latency_us.p99, one($r; $m; "io_uring").latency_us.p99] | min)]
			| med | r3),
		 ns_ratio_epoll: ([range(1; $rounds + 1) as $r | $x
			| one($r; $m; "xdp").server_ns_per_req / one($r; $m; "epoll").server_ns_per_req] | med | r3),
		 ns_ratio_io_uring: ([range(1; $rounds + 1) as $r | $x
			| one($r; $m; "xdp").server_ns_per_req / one($r; $m; "io_uring").server_ns_per_req] | med | r3)}
		+ (if $m != "echo" then {} else
		   {bare: tier("bare"),
		    ns_ratio_bare: ([range(1; $rounds + 1) as $r | $x
			| one($r; $m; "xdp").server_ns_per_req / one($r; $m; "bare").server_ns_per_req] | med | r3)} end) ] as $sum
	| def core($ns): if $ns == null or $ns == 0 then null else (1e9 / $ns | round) end;
	  {params: {offered_rps: $rate, window: $w, rounds: $rounds, placement: $place, accounting: $acct,
		    io_uring_server: "uringsrv: liburing, 64 recvmsg queued per socket, the reply sent from the same buffer, single issuer + deferred task work (tools/bench/uringsrv.c)"},
	   summary: $sum, runs: $runs,
	   rows: [ $sum[] | . as $s |
		  ({bench: "3 udp", status: "ok", unit: "ns",
		    what: "\(.mode) server CPU per request at \($rate) req/s offered, XDP tier vs best userspace server (\(.best))",
		    kfaas: .xdp.ns_per_req, alt: (if .best == "io_uring" then .io_uring.ns_per_req else .epoll.ns_per_req end),
		    ratio: .ns_ratio_best, target: "<= 0.1x", met: (.ns_ratio_best <= 0.1)},
		   {bench: "3 udp", status: "ok", unit: "us",
		    what: "\(.mode) p99 latency at \($rate) req/s offered, XDP tier vs best userspace server (lower p99 per round)",
		    kfaas: .xdp.p99_us, alt: ([.epoll.p99_us, .io_uring.p99_us] | min),
		    ratio: .p99_ratio_best, target: "<= 0.2x", met: (.p99_ratio_best <= 0.2)},
		   (select(.bare) |
		    {bench: "3 udp", status: "ok", unit: "ns",
		     what: "\(.mode) server CPU per request at \($rate) req/s offered, XDP tier vs a bare XDP echo without kfaas (the floor of the veth + NAPI kthread path)",
		     kfaas: .xdp.ns_per_req, alt: .bare.ns_per_req, ratio: .ns_ratio_bare,
		     target: null, met: null}),
		   ({epoll: .ns_ratio_epoll, io_uring: .ns_ratio_io_uring} | to_entries[] |
		    {bench: "3 udp", status: "ok", unit: "ns",
		     what: "\($s.mode) server CPU per request at \($rate) req/s offered, XDP tier vs \(.key) server",
		     kfaas: $s.xdp.ns_per_req, alt: $s[.key].ns_per_req, ratio: .value,
		     target: null, met: null}),
		   ({epoll: .epoll, io_uring: .io_uring} | to_entries[] |
		    {bench: "3 udp", status: "ok", unit: "req/s/core",
		     what: "\($s.mode) requests/s per server core (1e9 / CPU ns per request), XDP tier vs \(.key) server",
		     kfaas: core($s.xdp.ns_per_req), alt: core(.value.ns_per_req),
		     ratio: (if .value.ns_per_req > 0 and $s.xdp.ns_per_req > 0 then (.value.ns_per_req / $s.xdp.ns_per_req | r3) else null end),
		     target: null, met: null})) ]}
	' "$runs"
	local rc=$?
	rm -f "$runs"
	return $rc
}

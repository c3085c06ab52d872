# SPDX-License-Identifier: GPL-2.0
# Benchmark 13's round trips (sourced by tools/bench/run.sh;
# docs/performance.md, item 13): a real UDP client (rtcall) in a network
# namespace, over a veth pair to the dispatcher in native XDP mode, one
# request at a time:
#   chain3       one request to a chain route of 3 functions (oa > ob > oc)
#   three_calls  the same 3 functions as 3 separate routes, called one
#                after the other, each call waiting for its reply
#   one_fn       one request to one function doing the 3 links' work (oabc)
# Per variant and round: a warm-up, then a measured run wrapped in
# srvcpu_run (srvcpu.sh: server side on CPU 1, the client on CPU 0): the
# latency of a whole request (first send to last reply) and the server's
# CPU per request: its NAPI kthread's, where the XDP tier does all its
# work (srvcpu.sh's total, with CPU 1's kernel threads, is kept beside).  Needs run.sh's B KFAAS OUT PREFIX TAG UDP_ROUNDS
# SRVCPU_TIME SRVCPU_WARM.  Prints one JSON object: {params, summary,
# runs, rows}.
chainrt_gen() {	# ports want seconds
	in_cli $SRVCPU_RT taskset -c $SRVCPU_CLI "$B/bench/rtcall" --dst $SRV4 \
		--ports "$1" --want "$2" --time "$3" --warmup 0
}

chain_rt() {
	local root=$PREFIX-crt r v ports want out runs=$OUT/chainrt.runs t
	export KFAAS_PIN_ROOT=$root
	cleanup_add "rm -rf $root"
	sandbox_up benchc-$TAG 176 || { echo "cannot build the veth/netns sandbox" >&2; return 1; }
	for t in a b c abc; do
		"$KFAAS" fn load "$B/bench/bpf/otag_$t.bpf.o" o$t >/dev/null || return 1
	done
	# a trusted client: no per-prefix guard (as bench 3's routes)
	"$KFAAS" route add udp 9000 chain oa,ob,oc guard off >/dev/null &&
	"$KFAAS" route add udp 9001 fn oabc guard off >/dev/null &&
	"$KFAAS" route add udp 9002 fn oa guard off >/dev/null &&
	"$KFAAS" route add udp 9003 fn ob guard off >/dev/null &&
	"$KFAAS" route add udp 9004 fn oc guard off >/dev/null &&
	in_srv "$KFAAS" net attach "$SRV_IF" native >/dev/null || return 1
	srvcpu_place && srvcpu_rt || return 1
	: >"$runs"
	for r in $(seq 1 $UDP_ROUNDS); do
		# the variant, its ports, the head its last reply must carry
		for v in "chain3 9000 c3" "three_calls 9002,9003,9004 c1" "one_fn 9001 a1b2c3"; do
			set -- $v
			chainrt_gen "$2" "$3" $SRVCPU_WARM >/dev/null ||
				{ echo "rtcall failed: $1 (warm-up)" >&2; return 1; }
			out=$(srvcpu_run "$OUT/chainrt" -- chainrt_gen "$2" "$3" $SRVCPU_TIME) ||
				{ echo "rtcall failed: $1" >&2; return 1; }
			echo "$out" | jq -e '.bad == 0 and .requests > 0' >/dev/null ||
				{ echo "wrong replies: $1: $out" >&2; return 1; }
			echo "$out" | jq -c --arg v "$1" --argjson round $r \
				'. + {variant: $v, round: $round}' >>"$runs"
		done
	done
	in_srv "$KFAAS" net detach "$SRV_IF" >/dev/null 2>&1
	jq -s --argjson rounds $UDP_ROUNDS '
	def med: sort | if length == 0 then null elif length % 2 == 1 then .[length/2|floor]
		else (.[length/2-1] + .[length/2]) / 2 end;
	def r3: if . == null then null else (. * 1000 | round / 1000) end;
	def one($r; $v): [.[] | select(.round == $r and .variant == $v)][0];
	def ratio($a; $b; f): [range(1; $rounds + 1) as $r | (one($r; $a) | f) / (one($r; $b) | f)] | med | r3;
	. as $runs
	| ([("chain3", "three_calls", "one_fn") as $v | [$runs[] | select(.variant == $v)] |
	    {key: $v, value: {p50_us: ([.[].latency_us.p50] | med), p99_us: ([.[].latency_us.p99] | med),
			      ns_per_req: ([.[] | .server_cpu.napi / .requests | round] | med),
			      total_ns_per_req: ([.[].server_ns_per_req] | med), rps: ([.[].rps] | med),
			      round_trips_per_req: (.[0].round_trips / .[0].requests)}}] | from_entries) as $s
	| {params: {rounds: $rounds, client: "rtcall (tools/bench/rtcall.c): one request at a time, each call waiting for its reply; 64-byte requests",
		    placement: "as bench 3 (srvcpu.sh): the server veth end'"'"'s NAPI kthread on CPU 1, the client and its end on CPU 0, SCHED_FIFO",
		    accounting: "server CPU = runtime of the server end'"'"'s NAPI kthread over the run (the whole XDP path: parse, dispatcher, functions, XDP_TX), per whole request; total_ns_per_req adds CPU 1'"'"'s ksoftirqd and kworkers, which other tenants of a shared machine also run"},
	   summary: $s, runs: $runs,
	   rows: [("three_calls", "one_fn") as $b
		| ({three_calls: "3 separate functions called one after another, each waiting for its reply",
		    one_fn: "the same work in one function"}[$b]) as $vs
		| ({unit: "us", what: "latency p50", k: "p50_us"},
		   {unit: "ns", what: "server CPU per request", k: "ns_per_req"})
		| . as $m
		| {bench: "13 chain", status: "ok", unit: $m.unit,
		   what: "client round trips: a chain of 3, one request (vs \($vs)), \($m.what)",
		   kfaas: $s.chain3[$m.k], alt: $s[$b][$m.k],
		   ratio: ($runs | if $m.k == "p50_us" then ratio("chain3"; $b; .latency_us.p50)
			   else ratio("chain3"; $b; .server_cpu.napi / .requests) end),
		   target: null, met: null}]}
	' "$runs"
	local rc=$?
	rm -f "$runs"
	return $rc
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Benchmark 11 of make bench (tools/bench/run.sh): the cluster on etcd
# (docs/cluster.md).  A 3-member etcd with TLS (tests/cluster/etcd_lib.sh)
# and kfaas nodes, each a network namespace with its own pin root and
# kfaasd --cluster (tests/cluster/cluster_lib.sh), 3 then 10 of them.
#
# convergence  an apply moves R routes (udp ports) to new ports; the time
#              from its commit (when a watcher of etcd in the root
#              namespace sees the new generation) until every node
#              answers a real UDP request on the last new port
#              (cluster_probe.py, asking every 5 ms from before the
#              apply); every route of every node is then asked once
#              (sweep) and must answer.  Per configuration: one warm-up
#              apply, then CB_REPS measured ones; p50 and p99 over them
#              (p99 of 10: the largest).
# failover     the VM-tier function hello (min-warm 1) answers on the
#              node it is placed on, and its standby node holds a ready
#              template of it (docs/cluster.md); kill -9 of that node's kfaasd; the
#              time until a live node answers its route (asked every
#              50 ms on every live node), and until the
#              scheduler's new placement is seen in etcd.  The node is
#              started again before the next round.
#
#   tools/bench/cluster.sh --build DIR [--smoke]   JSON on stdout
#   tools/bench/cluster.sh --plot results.json OUTDIR
#
# Targets (issue 14): p99 convergence <= 1 s at 10 nodes; failover <=
# lease TTL + 2 s (the nodes' lease: CLUSTER_TTL, 3 s).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$top/build
SMOKE=0

cluster_plot() {	# results.json outdir
	local json=$1 out=$2 sub
	sub=$(jq -r '"\(.machine.cpu), \(.machine.cores) cores, \(.mode) run \(.started)"' "$json" |
		sed 's/"//g; s/_/\\\\_/g')
	jq -r '.benchmarks[] | select(.id == "cluster") | .summary.convergence[] |
		"\"\(.nodes) nodes, \(.routes) routes\" \(.p50_ms) \(.p99_ms)"' "$json" >"$out/cluster.dat"
	jq -r '.benchmarks[] | select(.id == "cluster") | .summary.failover[] |
		"\"failover, \(.nodes) nodes, replicas \(.replicas)\" \(.p50_ms) \(.p99_ms)"' "$json" >>"$out/cluster.dat"
	gnuplot <<EOF
set terminal svg size 900,480 dynamic enhanced font 'sans,11' background '#ffffff'
set style fill solid 0.8 border -1; set grid ytics; set key top left
set output '$out/cluster.svg'
set title "Cluster on etcd: apply-to-serving convergence and failover (ms, p50 and p99)\n{/*0.8 $sub}"
set style data histograms; set style histogram clustered gap 1
set ylabel 'ms'; set logscale y; set xtics noenhanced rotate by -20; set bmargin 5
plot '$out/cluster.dat' using 2:xtic(1) title 'p50' lc rgb '#4477aa', '' using 3 title 'p99' lc rgb '#ee6677'
EOF
}

while [ $# -gt 0 ]; do
	case "$1" in
	--build) B=$2; shift ;;
	--smoke) SMOKE=1 ;;
	--plot) cluster_plot "$2" "$3"; exit ;;
	*) echo "cluster.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
B=$(cd "$B" && pwd) || exit 2
export B
. "$top/tests/lib.sh"
. "$top/tests/cluster/etcd_lib.sh"
. "$top/tests/cluster/cluster_lib.sh"
trap cleanup_run EXIT
trap 'exit 130' INT TERM
log() { echo "cluster: $(date +%T) $*" >&2; }

for t in etcd etcdctl jq python3 nsenter; do
	command -v $t >/dev/null || { echo "$t is missing: run tools/deps.sh" >&2; exit 1; }
done
[ -x "$B/kfaasd" ] && [ -r "$B/vm/guest.cpio" ] && [ -x "$B/vmfn/hello" ] ||
	{ echo "kfaasd, the guest image or the hello function is not built" >&2; exit 1; }

# the smoke mode (make check) kills nothing: a failover waits for two VM
# boots under TCG, minutes on a loaded machine; tests/cluster checks the
# failover itself
if [ $SMOKE = 1 ]; then
	SIZES=${CB_SIZES:-3}; ROUTES=${CB_ROUTES:-1 10}; REPS=${CB_REPS:-2}; FAILS=${CB_FAILS:-0}
else
	SIZES=${CB_SIZES:-3 10}; ROUTES=${CB_ROUTES:-1 1000}; REPS=${CB_REPS:-10}; FAILS=${CB_FAILS:-3}
fi
FAIL_REPLICAS=${CB_FAIL_REPLICAS:-1 2}	# a failover series per replica count
CONVERGE_TIMEOUT=${CB_TIMEOUT:-60}	# seconds an apply may take to reach every node
FAILOVER_TIMEOUT=180	# a boot under TCG on a loaded machine is slow
TAG=${KFAAS_BENCH_TAG:-$$}
CLUSTER_PREFIX=/kfaas-bench-$TAG/
CLUSTER_TTL=3
PROBE=$here/cluster_probe.py
T=$(mktemp -d /tmp/kfaas-bench-cluster.XXXXXX)
cleanup_add "rm -rf $T"

etcd_cluster_start >&2 || exit 1
# every change under desired/, stamped when this watcher sees it
# (etcdctl itself is $!: the stamping loop ends with its output).  The
# watcher and the probe run under SCHED_FIFO: on a loaded machine a
# measuring client that waits for a CPU would stamp late.
RT=""
chrt -f 10 true 2>/dev/null && RT="chrt -f 10"
watch_log() {	# KEYS LOG: every change under PREFIX/KEYS, stamped, to LOG
	# shellcheck disable=SC2016
	ETCDCTL_API=3 $RT etcdctl --endpoints "$ETCD_ENDPOINTS" --cacert "$ETCD_CA" \
		--cert "$ETCD_CERT" --key "$ETCD_KEY" watch -w json --prefix \
		"$CLUSTER_PREFIX$1" 2>/dev/null > >(exec $RT bash -c \
		'while IFS= read -r l; do printf "%s %s\n" "$EPOCHREALTIME" "$l"; done' \
		>"$2") &
	cleanup_add "kill $!"
}
watch_log desired/ "$T/watch.log"
# every node's status/NODE (what it applied, its functions' states), for
# the phases of a failover
watch_log status/ "$T/status.log"

# The watch log (or LOG) as {ts, key, value} objects, one per event.
events() {	# [LOG]
	sed -n 's/^\([0-9.]*\) \(.*\)$/{"ts":\1,"r":\2}/p' "${1:-$T/watch.log}" |
		jq -c --arg p "$CLUSTER_PREFIX" '.ts as $t | .r.Events[]? |
			{ts: $t, key: (.kv.key | @base64d | ltrimstr($p)),
			 value: (.kv.value // "" | @base64d)}'
}
commit_ts() {	# GEN: when the watcher saw desired/config at generation GEN
	local ts
	for _ in $(seq 100); do
		ts=$(events | jq -r --argjson g "$1" 'select(.key == "desired/config") |
			select(.value | fromjson | .generation == $g) | .ts' | head -n 1)
		[ -n "$ts" ] && { echo "$ts"; return 0; }
		sleep 0.1
	done
	echo "generation $1 never seen by the watcher" >&2
	return 1
}

addrs() {	# the addresses of the live nodes, but NODE
	local i
	for i in "${!NODE_PID[@]}"; do
		[ -n "${NODE_PID[$i]}" ] && [ "$i" != "${1:-}" ] && cluster_addr "$i"
	done
}
nodes_up() {	# N: nodes 1..N run and converged on the generation applied last
	local i
	for ((i = 1; i <= $1; i++)); do
		[ -n "${NODE_PID[$i]:-}" ] && continue
		if [ -n "${NODE_NS[$i]:-}" ]; then	# killed by the last failover
			cluster_node_start "$i" || return 1
		else
			cluster_node_up "$i" --node-mem 1024 || return 1
		fi
	done
	CLUSTER_NODES=$1 cluster_wait_gen "$GEN" "$CONVERGE_TIMEOUT" >&2
}

GEN=0
SEQ=0
conf_routes() {	# R BASE: echo on ports BASE..BASE+R-1
	local p
	echo "functions:"
	echo "  echo: { object: $B/bpf/echo.bpf.o }"
	echo "routes:"
	for ((p = $2; p < $2 + $1; p++)); do
		echo "  - { trigger: udp $p, fn: echo }"
	done
}
apply() {	# FILE: kfaas --cluster apply; sets GEN
	local g
	g=$(kc -j apply "$1" | jq -r .generation) && [ "$g" -gt "$GEN" ] ||
		{ echo "apply of $1 failed" >&2; return 1; }
	GEN=$g
}

# One measured apply: N nodes, R routes; a JSON line on stdout (not to be
# run in a subshell: it moves GEN and SEQ).
converge_once() {	# N R REP
	local n=$1 r=$2 k=$3 base last t0 t1 c got swept phases
	SEQ=$((SEQ + 1))
	base=$((20000 + (SEQ % 2) * 10000))
	last=$((base + r - 1))
	conf_routes "$r" "$base" >"$T/conf.yaml"
	rm -f "$T/ready"
	# shellcheck disable=SC2046
	$RT python3 "$PROBE" first "$last" probe "$CONVERGE_TIMEOUT" "$T/ready" \
		$(addrs) >"$T/first.json" &
	local ppid=$!
	for _ in $(seq 200); do [ -e "$T/ready" ] && break; sleep 0.01; done
	t0=$EPOCHREALTIME
	apply "$T/conf.yaml" || return 1
	t1=$EPOCHREALTIME
	wait $ppid || return 1
	# the commit: when the watcher saw it, at the latest when the CLI
	# returned (a watcher starved of CPU can only stamp late)
	c=$(commit_ts "$GEN") || return 1
	c=$(awk -v a="$c" -v b="$t1" 'BEGIN {printf "%.6f", a < b ? a : b}')
	# shellcheck disable=SC2046
	swept=$(python3 "$PROBE" sweep "$base" "$r" $(addrs)) || return 1
	# where each node's time went (status/NODE "phases-ms"), once every
	# node published this generation
	CLUSTER_NODES=$n cluster_wait_gen "$GEN" "$CONVERGE_TIMEOUT" >&2 || return 1
	phases=$(kc -j cluster status | jq -c '[.nodes[] | select(.alive) | .phases_ms]')
	jq -c -n --argjson n "$n" --argjson r "$r" --argjson k "$k" \
		--argjson c "$c" --argjson t0 "$t0" --argjson t1 "$t1" \
		--argjson first "$(cat "$T/first.json")" --argjson swept "$swept" \
		--argjson phases "$phases" '
		{nodes: $n, routes: $r, rep: $k,
		 apply_cli_ms: (($t1 - $t0) * 1000 | round),
		 commit_after_cli_ms: (($c - $t1) * 1000 | round),
		 node_ms: [$first[] | if . == null then null else (. - $c) * 1000 end],
		 answered: ([$first[] | select(. != null)] | length),
		 swept_ok: ([$swept[] | select(. == $r)] | length),
		 phases_ms: $phases}
		| .conv_ms = (if .answered == $n then (.node_ms | max) else null end)'
}

hello_node() {	# where the scheduler placed hello (n3), or nothing
	kc -j cluster status 2>/dev/null |
		jq -r '.placements[] | select(.fn == "hello") | .nodes[0] // empty'
}
hello_nodes() {	# every node hello is placed on
	kc -j cluster status 2>/dev/null |
		jq -r '.placements[] | select(.fn == "hello") | .nodes[]'
}
hello_fn() {	# NODE: hello in NODE's status/NODE ({} when it has none)
	kc -j cluster status 2>/dev/null | jq -c --arg n "$1" \
		'[.nodes[] | select(.name == $n) | .functions.hello // {}][0] // {}'
}
hello_mib() {	# I: the MiB hello's VMs and template hold on node I (kfaasd)
	nk "$1" -j daemon status 2>/dev/null | jq -c '[.functions[]? |
		select(.name == "hello") | .pool | {vms: .vm_mib, template: .template_mib}][0]'
}
# hello's standby node once its template is ready (the scheduler names
# one where a node has room beside the placements), or nothing
standby_wait() {
	local sb
	for _ in $(seq $((FAILOVER_TIMEOUT * 5))); do
		sb=$(kc -j cluster status 2>/dev/null |
			jq -r '.placements[] | select(.fn == "hello") | .standby // empty')
		[ -n "$sb" ] && [ "$(hello_fn "$sb" | jq -r .state)" = standby ] &&
			{ echo "$sb"; return 0; }
		sleep 0.2
	done
	log "hello has no standby with a ready template after $FAILOVER_TIMEOUT s"
}
# One failover: kill -9 of a node running hello; a JSON line.  Its
# phases: the kill -> the scheduler's new placement in etcd (placed: the
# control plane, lease TTL + a scheduler round) -> the node placed now
# applied it (applied: its status/NODE names hello) -> hello ready there
# (ready: its status says so, published within ~1 s) -> and, from the
# kill, the first answer of the route from any live node (answer; with
# replicas 2 the other replica, placed before the kill: "standby").
failover_once() {	# N REP REPLICAS
	local n=$1 k=$2 reps=$3 v t_kill placed got before sb
	sb=$(standby_wait)
	before=$(hello_nodes | jq -R . | jq -s -c .)
	v=$(hello_node); v=${v#n}
	[ -n "$v" ] || { echo "hello is not placed" >&2; return 1; }
	# what hello holds, measured by kfaasd: its node's VMs and template,
	# the standby's template
	local mem
	mem=$(jq -c -n --argjson p "$(hello_mib "$v")" \
		--argjson s "$([ -n "$sb" ] && hello_mib "${sb#n}" || echo null)" \
		'{placed_mib: $p, standby_mib: $s}')
	rm -f "$T/ready"
	# shellcheck disable=SC2046
	$RT python3 "$PROBE" any 7070 "hello, probe" "$FAILOVER_TIMEOUT" "$T/ready" \
		$(addrs "$v") >"$T/first.json" &
	local ppid=$!
	for _ in $(seq 200); do [ -e "$T/ready" ] && break; sleep 0.01; done
	t_kill=$EPOCHREALTIME
	cluster_node_kill "$v"
	wait $ppid || return 1
	# the new placement (the first without the dead node), and when its
	# new node says hello is ready: a standby answers before either
	for _ in $(seq $((FAILOVER_TIMEOUT * 5))); do
		placed=$(events | jq -c --argjson t "$t_kill" --arg v "n$v" '
			select(.ts > $t and .key == "desired/placement/hello") |
			select(.value != "" and (.value | fromjson | .nodes | length > 0 and
				all(. != $v))) | {ts, nodes: (.value | fromjson | .nodes)}' |
			head -n 1)
		[ -n "$placed" ] && events "$T/status.log" | jq -e --argjson t "$t_kill" \
			--argjson pl "$placed" --argjson b "$before" '
			select(.ts > $t and .value != "") | (.value | fromjson) |
			select((.node as $x | $pl.nodes - $b | index($x)) and
			       .functions.hello.state == "ready")' >/dev/null && break
		sleep 0.2
	done
	[ -n "$placed" ] || placed=null
	# when the newly placed node's status first had hello, and ready
	events "$T/status.log" | jq -c --argjson t "$t_kill" '
		select(.ts > $t and .value != "") | (.value | fromjson) as $s |
		select($s.functions.hello) |
		{ts, node: $s.node, state: $s.functions.hello.state}' >"$T/st.jsonl"
	got=$(jq -c --argjson t "$t_kill" --argjson pl "$placed" --argjson b "$before" \
		--slurpfile st "$T/st.jsonl" --arg net "$ETCD_NET." '
		def ms: if . == null then null else (. - $t) * 1000 | round end;
		(($pl.nodes // []) - $b) as $new |
		[$st[] | select(.node as $x | $new | index($x)) |
		 select($pl and .ts >= $pl.ts)] as $ns |
		[to_entries[] | select(.value != null)] | sort_by(.value) |
		(.[0].key // null) as $by |
		{answered_by: $by,
		 answer_ms: (if .[0] then ([.[0].value - $t, 0] | max) * 1000 | round
			     else null end),
		 standby: (if $by then ("n\(($by | ltrimstr($net) | tonumber) - 10)"
				       as $bn | $b | index($bn) != null) else null end),
		 placed_ms: ($pl.ts // null | ms),
		 placed_on: $new,
		 applied_ms: ($ns[0].ts // null | ms),
		 ready_ms: ([$ns[] | select(.state == "ready")][0].ts // null | ms)}' \
		"$T/first.json")
	# did the node placed now start hello from its standby template?
	local tpl='{}'
	[ -n "$sb" ] && jq -e --arg s "$sb" '.placed_on | index($s)' <<<"$got" >/dev/null &&
		tpl=$(hello_fn "$sb")
	jq -c -n --argjson n "$n" --argjson k "$k" --arg v "n$v" --argjson g "$got" \
		--argjson reps "$reps" --arg sb "$sb" --argjson tpl "$tpl" --argjson mem "$mem" '
		{nodes: $n, replicas: $reps, rep: $k, killed: $v} + $g + $mem +
		{standby_node: (if $sb == "" then null else $sb end),
		 to_standby: ($sb != "" and ($g.placed_on | index($sb)) != null),
		 from_template: (($tpl.cloned // 0) > 0 and ($tpl.booted // 1) == 0)}'
	# the node comes back before the next round (none after the last)
	[ "$k" -lt "$FAILS" ] || return 0
	cluster_node_start "$v" &&
	CLUSTER_NODES=$n cluster_wait_gen "$GEN" "$CONVERGE_TIMEOUT" >&2
}

# FAILS kills of a node running hello (min-warm 1) placed on REPLICAS
# nodes: 1, the function moves; 2, the other replica keeps serving (a
# warm standby) while the lost one is placed again.
failover_series() {	# N REPLICAS
	local n=$1 reps=$2 v k
	nodes_up "$n" || return 1	# the node killed last is back
	cat >"$T/vm.yaml" <<EOF
functions:
  echo: { object: $B/bpf/echo.bpf.o }
  hello: { vm: $B/vmfn/hello, min-warm: 1, replicas: $reps }
routes:
  - { trigger: udp 7, fn: echo }
  - { trigger: udp 7070, fn: hello }
EOF
	apply "$T/vm.yaml" && CLUSTER_NODES=$n cluster_wait_gen "$GEN" "$CONVERGE_TIMEOUT" >&2 ||
		return 1
	for _ in $(seq 100); do
		[ "$(hello_nodes | wc -l)" -ge "$reps" ] && break
		sleep 0.2
	done
	for v in $(hello_nodes); do
		rm -f "$T/ready"
		$RT python3 "$PROBE" any 7070 "hello, probe" "$FAILOVER_TIMEOUT" "$T/ready" \
			"$(cluster_addr "${v#n}")" | jq -e '.[] != null' >/dev/null && continue
		# recorded as a failover that did not answer (a failed row)
		log "hello never answered on $v within $FAILOVER_TIMEOUT s"
		jq -c -n --argjson n "$n" --arg v "$v" --argjson reps "$reps" '{nodes: $n,
			replicas: $reps, rep: 0, killed: null, answered_by: null,
			answer_ms: null, placed_ms: null,
			error: "hello never answered on \($v) before the kill"}' >>"$T/fail.jsonl"
		return 0
	done
	for ((k = 1; k <= FAILS; k++)); do
		failover_once "$n" "$k" "$reps" >"$T/line" || return 1
		log "$(cat "$T/line")"
		cat "$T/line" >>"$T/fail.jsonl"
	done
}

: >"$T/conv.jsonl"; : >"$T/fail.jsonl"
for n in $SIZES; do
	nodes_up "$n" || { echo "$n nodes did not come up" >&2; exit 1; }
	log "$n nodes up"
	for r in $ROUTES; do
		for ((k = 0; k <= REPS; k++)); do
			# (not in $(...): GEN and SEQ must stay set)
			converge_once "$n" "$r" "$k" >"$T/line" || exit 1
			log "$(cat "$T/line")"
			[ $k = 0 ] || cat "$T/line" >>"$T/conv.jsonl"
		done
	done
	[ "$FAILS" -gt 0 ] || continue
	for reps in $FAIL_REPLICAS; do
		failover_series "$n" "$reps" || exit 1
	done
done

jq -n --slurpfile conv "$T/conv.jsonl" --slurpfile fail "$T/fail.jsonl" \
	--argjson ttl "$CLUSTER_TTL" --arg sizes "$SIZES" --arg routes "$ROUTES" \
	--argjson reps "$REPS" --argjson fails "$FAILS" '
	def pct($p): sort | if length == 0 then null
		else .[((length * $p / 100 | ceil) - 1) | if . < 0 then 0 else . end] end;
	def r1: if . == null then null else (. * 10 | round / 10) end;
	def ok_conv: [.[] | select(.conv_ms != null and .swept_ok == .nodes)];
	($conv | group_by([.nodes, .routes]) | map(
		{nodes: .[0].nodes, routes: .[0].routes, applies: length,
		 complete: (ok_conv | length),
		 p50_ms: ([ok_conv[].conv_ms] | pct(50) | r1),
		 p99_ms: ([ok_conv[].conv_ms] | pct(99) | r1),
		 node_p50_ms: ([.[].node_ms[] | select(. != null)] | pct(50) | r1),
		 node_p99_ms: ([.[].node_ms[] | select(. != null)] | pct(99) | r1),
		 apply_cli_p50_ms: ([.[].apply_cli_ms] | pct(50))})) as $cs
	| ($fail | group_by([.nodes, .replicas]) | map(
		{nodes: .[0].nodes, replicas: .[0].replicas, kills: length,
		 answered: ([.[] | select(.answer_ms != null)] | length),
		 by_standby: ([.[] | select(.standby == true)] | length),
		 to_standby: ([.[] | select(.to_standby == true)] | length),
		 from_template: ([.[] | select(.from_template == true)] | length),
		 p50_ms: ([.[].answer_ms | select(. != null)] | pct(50)),
		 p99_ms: ([.[].answer_ms | select(. != null)] | pct(99)),
		 placed_p50_ms: ([.[].placed_ms | select(. != null)] | pct(50)),
		 placed_p99_ms: ([.[].placed_ms | select(. != null)] | pct(99)),
		 applied_p50_ms: ([.[].applied_ms | select(. != null)] | pct(50)),
		 ready_p50_ms: ([.[].ready_ms | select(. != null)] | pct(50))})) as $fs
	| ($ttl * 1000 + 2000) as $fb
	| {id: "cluster", status: "ok",
	   params: {sizes: $sizes, routes: $routes, applies_per_config: $reps,
		    kills_per_size: $fails, lease_ttl_s: $ttl,
		    etcd: "3 members on loopback, TLS client certificates, peers on TLS",
		    nodes: "network namespaces on one bridge, each its own pin root and kfaasd --cluster (XDP generic on its veth; VM tier under TCG)",
		    convergence: "from the commit (a watcher of desired/ in the root namespace sees the generation) to the last node answering a UDP request on the last new route (asked every 5 ms); then every route of every node asked once",
		    failover: "kill -9 of a kfaasd running hello (min-warm 1; replicas 1, then 2) to the first answer of its route on a live node (0 when the other replica served throughout); placed: the scheduler'"'"'s new placement seen by the watcher (the control plane); applied, ready: the newly placed node'"'"'s status/NODE names hello, says it is ready (the VM boot under TCG between them)"},
	   summary: {convergence: $cs, failover: $fs},
	   runs: {convergence: $conv, failover: $fail},
	   rows: ([$cs[] | . as $c |
		   {bench: "11 cluster", status: (if $c.complete == $c.applies then "ok" else "failed" end),
		    unit: "ms",
		    what: "apply-to-serving p99, \($c.nodes) nodes, \($c.routes) route(s), every node answering (\($c.complete) applies; p50 \($c.p50_ms) ms), vs 1 s",
		    kfaas: $c.p99_ms, alt: 1000, ratio: (if $c.p99_ms then ($c.p99_ms / 1000 * 1000 | round / 1000) else null end),
		    target: (if $c.nodes >= 10 then "<= 1x" else null end),
		    met: (if $c.nodes >= 10 and $c.p99_ms then $c.p99_ms <= 1000 else null end)}] +
		  [$fs[] | . as $f |
		   {bench: "11 cluster", status: (if $f.answered == $f.kills then "ok" else "failed" end),
		    unit: "ms",
		    what: "failover p99, \($f.nodes) nodes, replicas \($f.replicas): kill -9 to the VM function answering on a live node (\($f.kills) kills; p50 \($f.p50_ms) ms; placed again after p50 \($f.placed_p50_ms) ms, p99 \($f.placed_p99_ms) ms; \($f.to_standby) to the standby node, \($f.from_template) started from its template), vs lease TTL + 2 s",
		    kfaas: $f.p99_ms, alt: $fb, ratio: (if $f.p99_ms then ($f.p99_ms / $fb * 1000 | round / 1000) else null end),
		    target: "<= 1x", met: (if $f.p99_ms then $f.p99_ms <= $fb else null end)}] +
		  [$fs[] | . as $f |
		   {bench: "11 cluster", status: (if $f.placed_p99_ms then "ok" else "failed" end),
		    unit: "ms",
		    what: "failover p99, \($f.nodes) nodes, replicas \($f.replicas), the control plane: kill -9 to the new placement in etcd (\($f.kills) kills; p50 \($f.placed_p50_ms) ms; applied on the new node after p50 \($f.applied_p50_ms) ms, its VM ready after p50 \($f.ready_p50_ms) ms under TCG), vs lease TTL + 2 s",
		    kfaas: $f.placed_p99_ms, alt: $fb,
		    ratio: (if $f.placed_p99_ms then ($f.placed_p99_ms / $fb * 1000 | round / 1000) else null end),
		    target: "<= 1x", met: (if $f.placed_p99_ms then $f.placed_p99_ms <= $fb else null end)}])}
	| "an apply or a failover did not complete (runs)" as $why
	| .rows |= map(if .status != "ok" then . + {reason: $why, ratio: null, met: null} else . end)
	| if any(.rows[]; .status != "ok") then .status = "failed" | .reason = $why else . end'

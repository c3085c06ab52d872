#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# SVG plots of a results.json (tools/bench/run.sh) with gnuplot: one per
# benchmark that produced numbers.  plot.sh results.json OUTDIR
set -eu
json=${1:?usage: plot.sh results.json OUTDIR}
out=${2:?usage: plot.sh results.json OUTDIR}
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot missing (tools/deps.sh)" >&2; exit 1; }
have() { jq -e --arg id "$1" '.benchmarks[] | select(.id == $id and .status == "ok")' \
	"$json" >/dev/null; }
sub=$(jq -r '"\(.machine.cpu), \(.machine.cores) cores, kernel \(.machine.kernel), \(.mode) run \(.started)"' "$json" | sed 's/"//g; s/_/\\\\_/g')
term="set terminal svg size 900,480 dynamic enhanced font 'sans,11' background '#ffffff'"
common="set style fill solid 0.8 border -1; set grid ytics; set key top left; set boxwidth 0.7"

# variants_plot ID TITLE [GNUPLOT]: the benchmark ID's variants as bars,
# ns per invocation (median, min..max), ID.svg
variants_plot() {
	jq -r --arg id "$1" '.benchmarks[] | select(.id == $id) | .variants | to_entries[] |
		"\"\(.key)\" \(.value.ns_median) \(.value.ns_min) \(.value.ns_max)"' \
		"$json" >"$out/$1.dat"
	gnuplot <<EOF
$term; $common
set output '$out/$1.svg'
set title "$2\n{/*0.8 $sub}"
set ylabel 'ns'; set yrange [0:*]; set xtics noenhanced; ${3:-}
plot '$out/$1.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa' notitle, \
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt -1 notitle, \
     '' using 0:2:(sprintf('%.1f', \$2)) with labels offset 0,1 notitle
EOF
}

# 1. ns per invocation of every dispatch variant (median, min..max)
if have dispatch; then
	variants_plot dispatch "Dispatcher overhead: ns per invocation (BPF\\\\_PROG\\\\_TEST\\\\_RUN, median, min..max)" \
		"set xtics rotate by -25; set bmargin 5"
fi

# 2. dispatch cost against the number of routes, libxdp-style chains beside
if have routes; then
	jq -r '.benchmarks[] | select(.id == "routes") | .variants | to_entries[] |
		select(.key | startswith("routes_")) |
		"\(.key | ltrimstr("routes_")) \(.value.ns_median) \(.value.ns_min) \(.value.ns_max)"' \
		"$json" >"$out/routes.dat"
	refs=$(jq -r '.benchmarks[] | select(.id == "routes") | .variants | to_entries[] |
		select(.key | startswith("routes_") | not) |
		", \(.value.ns_median) with lines dt 2 lw 2 title \"\(.value.desc | gsub("\""; "")) (\(.value.ns_median) ns)\""' \
		"$json" | tr -d '\n')
	gnuplot <<EOF
$term
set output '$out/routes.svg'
set title "Route scale: dispatcher -> echo, ns per invocation\n{/*0.8 $sub}"
set logscale x; set xlabel 'routes in the table'; set ylabel 'ns'; set yrange [0:*]
set xrange [0.5:200000]; set grid; set key outside bottom center vertical noenhanced
plot '$out/routes.dat' using 1:2:3:4 with yerrorlines lw 2 pt 7 title 'kfaas dispatcher (address routes)' $refs
EOF
fi

# 3. XDP tier vs userspace: requests/s and latency percentiles
if have udp; then
	jq -r '.benchmarks[] | select(.id == "udp") | .summary[] | select(.window > 1) |
		"\"\(.mode)\(if .generator == "af_xdp" then " (AF-XDP gen.)" else "" end)\" \(.xdp.rps) \(.user.rps) \(.xdp.p50_us) \(.user.p50_us) \(.xdp.p99_us) \(.user.p99_us) \(.xdp.p999_us) \(.user.p999_us)"' \
		"$json" >"$out/udp.dat"
	gnuplot <<EOF
set terminal svg size 1000,480 dynamic enhanced font 'sans,11' background '#ffffff'
$common
set output '$out/udp.svg'
set multiplot layout 1,2 title "XDP tier vs userspace epoll server, same veth pair and load generators\n{/*0.8 $sub}"
set style data histograms; set style histogram clustered gap 1
set title 'requests/s'; set ylabel 'requests/s'; set yrange [0:*]; set format y '%.0s%c'
plot '$out/udp.dat' using 2:xtic(1) title 'XDP tier' lc rgb '#228833', '' using 3 title 'userspace' lc rgb '#ee6677'
set title 'latency (us): p50, p99, p999'; set ylabel 'us'; set logscale y; set yrange [*:*]; set format y '%g'
plot '$out/udp.dat' using 4:xtic(1) title 'XDP p50' lc rgb '#88cc99', '' using 6 title 'XDP p99' lc rgb '#228833', \
     '' using 8 title 'XDP p999' lc rgb '#115522', '' using 5 title 'user p50' lc rgb '#f4aab4', \
     '' using 7 title 'user p99' lc rgb '#ee6677', '' using 9 title 'user p999' lc rgb '#993344'
unset multiplot
EOF
fi

# 4. live frames: Mpps per core
if have live; then
	jq -r '.benchmarks[] | select(.id == "live") | .variants | to_entries[] |
		"\"\(.key)\" \(1000 / .value.ns_median) \(1000 / .value.ns_max) \(1000 / .value.ns_min)"' \
		"$json" >"$out/live.dat"
	gnuplot <<EOF
$term; $common
set output '$out/live.svg'
set title "Live frames (BPF\\\\_F\\\\_TEST\\\\_XDP\\\\_LIVE\\\\_FRAMES): Mpps on one core, XDP\\\\_TX to a veth\n{/*0.8 $sub}"
set ylabel 'Mpps'; set yrange [0:*]
plot '$out/live.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa' notitle, \
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt -1 notitle, \
     '' using 0:2:(sprintf('%.2f', \$2)) with labels offset 0,1 notitle
EOF
fi

# 5. invoker vs bpftool, per round
if have invoker; then
	jq -r '.benchmarks[] | select(.id == "invoker") | .runs[] |
		"\(.round) \(.kfaas_ns) \(.bpftool_ns)"' "$json" >"$out/invoker.dat"
	gnuplot <<EOF
$term; $common
set output '$out/invoker.svg'
set title "kfaas invoke --repeat vs bpftool prog run repeat: ns per invocation, per round\n{/*0.8 $sub}"
set style data histograms; set style histogram clustered gap 1
set xlabel 'round'; set ylabel 'ns'; set yrange [0:*]
plot '$out/invoker.dat' using 2:xtic(1) title 'kfaas invoke' lc rgb '#4477aa', '' using 3 title 'bpftool prog run' lc rgb '#ccbb44'
EOF
fi

# 6. socket tier vs nginx: requests/s and latency, per placement
if have socket; then
	jq -r '.benchmarks[] | select(.id == "socket") | .summary[] |
		"\"\(.placement)\" \(.kfaas.rps) \(.nginx.rps) \(.kfaas.p50_us) \(.nginx.p50_us) \(.kfaas.p99_us) \(.nginx.p99_us)"' \
		"$json" >"$out/socket.dat"
	gnuplot <<EOF
set terminal svg size 1000,480 dynamic enhanced font 'sans,11' background '#ffffff'
$common
set output '$out/socket.svg'
set multiplot layout 1,2 title "Socket tier (in-kernel HTTP) vs nginx, wrk over the same veth pair\n{/*0.8 $sub}"
set style data histograms; set style histogram clustered gap 1
set title 'requests/s'; set ylabel 'requests/s'; set yrange [0:*]; set format y '%.0s%c'
plot '$out/socket.dat' using 2:xtic(1) title 'socket tier' lc rgb '#228833', '' using 3 title 'nginx' lc rgb '#ee6677'
set title 'latency (us): p50, p99'; set ylabel 'us'; set logscale y; set yrange [*:*]; set format y '%g'
plot '$out/socket.dat' using 4:xtic(1) title 'kfaas p50' lc rgb '#88cc99', '' using 6 title 'kfaas p99' lc rgb '#228833', \
     '' using 5 title 'nginx p50' lc rgb '#f4aab4', '' using 7 title 'nginx p99' lc rgb '#ee6677'
unset multiplot
EOF
fi

# 7. VM tier: start on an empty pool, per round, cold boot vs snapshot clone
if have vm; then
	jq -r '.benchmarks[] | select(.id == "vm") | [.runs[] | select(.what == "start")] |
		group_by(.round)[] | "\(.[0].round) \(map(select(.vm == "cold"))[0].first_ms) \(map(select(.vm == "clone"))[0].first_ms) \(map(select(.vm == "cold"))[0].ready_ms) \(map(select(.vm == "clone"))[0].ready_ms)"' \
		"$json" >"$out/vm.dat"
	accel=$(jq -r '.benchmarks[] | select(.id == "vm") | .params.accelerator | ascii_upcase' "$json")
	gnuplot <<EOF
$term; $common
set output '$out/vm.svg'
set title "VM tier ($accel): request on an empty pool to first response, QEMU start to ready, per round\n{/*0.8 $sub}"
set style data histograms; set style histogram clustered gap 1
set xlabel 'round'; set ylabel 'ms'; set logscale y; set yrange [10:*]
plot '$out/vm.dat' using 2:xtic(1) title 'cold boot: first response' lc rgb '#ee6677', \
     '' using 4 title 'cold boot: ready' lc rgb '#f4aab4', \
     '' using 3 title 'snapshot clone: first response' lc rgb '#228833', \
     '' using 5 title 'snapshot clone: ready' lc rgb '#88cc99'
EOF
fi

# 8. accounting cost in the guest: ns per invocation of each variant
if have kmod; then
	jq -r '.benchmarks[] | select(.id == "kmod") | .variants | to_entries[] |
		"\"\(.key)\" \(.value.ns_median) \(.value.ns_min) \(.value.ns_max)"' \
		"$json" >"$out/kmod.dat"
	accel=$(jq -r '.benchmarks[] | select(.id == "kmod") | .params.accelerator | ascii_upcase' "$json")
	gnuplot <<EOF
$term; $common
set output '$out/kmod.svg'
set title "Accounting through the dispatcher, Debian 6.1 guest under $accel: ns per invocation (median, min..max)\n{/*0.8 $sub}"
set ylabel 'ns'; set yrange [0:*]
plot '$out/kmod.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa' notitle, \
     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt -1 notitle, \
     '' using 0:2:(sprintf('%.0f', \$2)) with labels offset 0,1 notitle
EOF
fi
# 9. lifecycle: cold starts against idle memory, the fixed frontier and auto
if have lifecycle; then
	jq -r '.benchmarks[] | select(.id == "lifecycle") | .policies[] |
		select(.policy | startswith("fixed:")) | "\(.wasted_gib_s) \(.cold_pct) \(.fn_p75_cold_pct) \(.policy)"' \
		"$json" >"$out/lifecycle-fixed.dat"
	jq -r '.benchmarks[] | select(.id == "lifecycle") | .policies[] |
		select(.policy == "auto") | "\(.wasted_gib_s) \(.cold_pct) \(.fn_p75_cold_pct) auto"' \
		"$json" >"$out/lifecycle-auto.dat"
	gnuplot <<EOF
$term
set output '$out/lifecycle.svg'
set title "Lifecycle policies over the generated trace (kfaas sim): cold starts against idle memory\n{/*0.8 $sub}"
set xlabel 'idle memory of VMs and templates (GiB-s)'; set ylabel 'cold starts (%)'
set y2label 'per-function p75 of cold starts (%)'; set y2tics; set ytics nomirror
set logscale y; set grid; set key top right noenhanced
plot '$out/lifecycle-fixed.dat' using 1:2 with linespoints lc rgb '#4477aa' title 'fixed keep-alive 1 min .. 4 h: overall', \
     '' using 1:3 axes x1y2 with linespoints dt 2 lc rgb '#66ccee' title 'fixed: per-function p75', \
     '$out/lifecycle-auto.dat' using 1:2 with points pt 7 ps 1.5 lc rgb '#ee6677' title 'auto: overall', \
     '' using 1:3 axes x1y2 with points pt 5 ps 1.5 lc rgb '#aa3377' title 'auto: per-function p75'
EOF
fi
# 10. memcached alone vs behind the kv cache: requests/s and server CPU
if have memcached; then
	jq -r '.benchmarks[] | select(.id == "memcached") | .summary |
		"\"memcached alone\" \(.alone_rps) \(.alone_ns)\n\"behind the kv cache\" \(.cache_rps) \(.cache_ns)"' \
		"$json" >"$out/memcached.dat"
	hr=$(jq -r '.benchmarks[] | select(.id == "memcached") | .params |
		"Zipf \(.zipf), \(.keys) keys, \(.hit_ratio_pct)% hits"' "$json")
	gnuplot <<EOF
set terminal svg size 1000,480 dynamic enhanced font 'sans,11' background '#ffffff'
$common
set output '$out/memcached.svg'
set multiplot layout 1,2 title "memcached UDP gets, alone and behind the kv cache ($hr)\n{/*0.8 $sub}"
set title 'GET requests/s (median)'; set ylabel 'requests/s'; set yrange [0:*]; set format y '%.0s%c'
plot '$out/memcached.dat' using 0:2:xtic(1) with boxes lc rgb '#228833' notitle
set title 'server CPU per GET (ns, median)'; set ylabel 'ns'; set yrange [0:*]; set format y '%g'
plot '$out/memcached.dat' using 0:3:xtic(1) with boxes lc rgb '#4477aa' notitle, \
     '' using 0:3:(sprintf('%.0f', \$3)) with labels offset 0,1 notitle
unset multiplot
EOF
fi
# 11. lifecycle live: cold starts and idle memory per policy, live beside
# the simulator on the same functions and window
if have lcreplay; then
	jq -r '.benchmarks[] | select(.id == "lcreplay") | [.runs[] | . as $r
		| (100 * ($r.found_template + $r.found_cold) /
		   ([$r.found_warm, $r.found_template, $r.found_cold] | add))] as $live
		| [.sim[].cold_pct] as $sim | [.runs[].idle_gib_s_trace] as $lm | [.sim[].wasted_gib_s] as $sm
		| range(0; 3) as $i | "\(["none", "fixed-10min", "auto"][$i]) \($live[$i]) \($sim[$i]) \($lm[$i]) \($sm[$i])"' \
		"$json" >"$out/lcreplay.dat"
	gnuplot <<EOF
$term; $common
set output '$out/lcreplay.svg'
set title "Lifecycle policies live (a compressed trace through kfaasd) beside kfaas sim\n{/*0.8 $sub}"
set ylabel 'cold starts (%)'; set y2label 'idle memory (GiB-s, trace time)'; set y2tics; set ytics nomirror
set yrange [0:*]; set y2range [0:*]; set style data histograms; set style histogram clustered gap 1
plot '$out/lcreplay.dat' using 2:xtic(1) lc rgb '#4477aa' title 'cold starts live', \
     '' using 3 lc rgb '#66ccee' title 'cold starts, kfaas sim', \
     '' using 4 axes x1y2 lc rgb '#ee6677' title 'idle memory live', \
     '' using 5 axes x1y2 lc rgb '#aa3377' title 'idle memory, kfaas sim'
EOF
fi
rm -f "$out"/*.dat

# 12. the cluster: convergence and failover (its own script draws it)
if have cluster; then
	"$(dirname "$0")/cluster.sh" --plot "$json" "$out"
fi

# 13. function chains: a chain of 3 against the same work in one function,
# one link alone and an echo (ns per request, median, min..max)
if have chain; then
	variants_plot chain "Function chains: ns per request through the dispatcher (BPF\\\\_PROG\\\\_TEST\\\\_RUN, median, min..max)"
	# ... and a client's round trips: latency and server CPU per request
	jq -r '.benchmarks[] | select(.id == "chain") | .round_trips.summary | to_entries[] |
		"\"\(.key)\" \(.value.p50_us) \(.value.ns_per_req)"' "$json" >"$out/chain-rt.dat"
	gnuplot <<EOF
set terminal svg size 1000,480 dynamic enhanced font 'sans,11' background '#ffffff'
$common
set output '$out/chain-rt.svg'
set multiplot layout 1,2 title "Function chains from a UDP client over a veth pair: a chain of 3, 3 separate calls, one function\n{/*0.8 $sub}"
set xtics noenhanced
set title 'latency of a request, p50 (us)'; set ylabel 'us'; set yrange [0:*]
plot '$out/chain-rt.dat' using 0:2:xtic(1) with boxes lc rgb '#228833' notitle, \
     '' using 0:2:(sprintf('%.1f', \$2)) with labels offset 0,1 notitle
set title 'server CPU per request (ns, median)'; set ylabel 'ns'; set yrange [0:*]
plot '$out/chain-rt.dat' using 0:3:xtic(1) with boxes lc rgb '#4477aa' notitle, \
     '' using 0:3:(sprintf('%.0f', \$3)) with labels offset 0,1 notitle
unset multiplot
EOF
	rm -f "$out/chain-rt.dat"
fi

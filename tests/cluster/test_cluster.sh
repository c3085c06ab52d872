#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One kfaas across three nodes, on a 3-member etcd with TLS client
# certificates (etcd_lib.sh): each node a network namespace with its own
# pin root and kfaasd --cluster (cluster_lib.sh), clients in the root
# namespace reaching each node's address.  An apply makes every node
# serve (socat to the XDP tier, curl to the socket tier, the VM tier on
# the node it is placed on); a selector limits a function to its nodes;
# two applies at once give one winner and one conflict; cluster-wide
# counters and Prometheus labels; a restarted node resumes from its
# revision without reloading what did not change, and refuses a tampered
# artifact; a VM function has a standby node holding a ready template of
# it and no VM; kill -9 of the node running it moves it to the standby,
# which serves it from a clone of that template (no cold boot), within
# the bound stated below; one etcd
# member stopped changes nothing; the quorum lost leaves every node
# serving and saying so, and an apply converges once it is back; a node
# without a valid certificate is refused; every kfaasd campaigns and one
# at a time is the scheduler, the only one writing placements; a node
# down while etcd compacts its revision falls back to a full re-read.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/etcd_lib.sh"
. "$(dirname "$0")/cluster_lib.sh"

require_root
command -v etcd >/dev/null || ktap_skip_all "etcd is not installed: tools/deps.sh"
require_tools jq socat curl nsenter
[ -x "$B/kfaasd" ] && [ -r "$B/vm/guest.cpio" ] && [ -x "$B/vmfn/hello" ] ||
	ktap_skip_all "kfaasd, the guest image or the hello function is not built"
# kill -9 of a node to its VM function answering elsewhere: the lease TTL
# (3 s), a scheduler round (0.5 s), the new node's apply and a template
# boot under TCG (2 s on an idle machine, far more on a loaded one)
FAILOVER_BOUND=${FAILOVER_BOUND:-90}
ETCD_PEER_TLS=1
ktap_plan 52
t0=$SECONDS

ask() {		# I PORT PAYLOAD: a UDP request to node I, the reply or nothing
	echo -n "$3" | timeout 6 socat -T3 -t3 - "UDP:$(cluster_addr "$1"):$2" 2>/dev/null
}
status() { kc -j cluster status; }
gen() { kc -j export >/dev/null 2>&1; status | jq -r .desired.generation; }
placed() { status | jq -r ".placements[] | select(.fn == \"$1\") | .nodes | join(\" \")"; }
# wait until CMD's output equals WANT, up to S seconds; prints the output
until_eq() {	# S WANT CMD...
	local s=$1 want=$2 got end
	shift 2
	end=$((SECONDS + s))
	while :; do
		got=$("$@" 2>/dev/null)
		[ "$got" = "$want" ] || [ $SECONDS -ge $end ] && break
		sleep 0.2
	done
	echo "$got"
}
alive_nodes() { status | jq -r '[.nodes[] | select(.alive) | .name] | join(" ")'; }
etcd_state() { nk "$1" -j daemon status | jq -r .daemon.cluster.etcd; }
hello_at() { ask "$1" 7070 w | grep -o 'hello, w'; }
echo_total() { kc -j stats echo | jq '.[0].total.invocations'; }
echo_local() {	# the sum of every node's own counters
	local i n=0
	for i in 1 2 3; do n=$((n + $(nk "$i" -j stats echo | jq .invocations))); done
	echo $n
}
moved_from() {	# NODE: hello placed on a live node other than NODE
	local p
	p=$(placed hello)
	[ -n "$p" ] && [ "$p" != "$1" ] && echo moved
}
unplaced_why() {
	status | jq -r '.placements[] | select(.fn == "huge" and .unplaced > 0) |
		"\(.fn) \(.unplaced) \(.why)"'
}

T=$(mktemp -d /tmp/kfaas-cltest-XXXXXX)
cleanup_add "rm -rf $T"
# (in this shell, not check's subshell: the members' pids must stay known)
etcd_cluster_start 2>"$T/etcd.err"
check_eq "a 3-member etcd with TLS client certificates is up" 0 $? ||
	{ diag "$(cat "$T/etcd.err")"; ktap_finish; }
for i in 1 2 3; do
	cluster_node_up "$i" --node-mem 1024 || diag "node $i did not start"
done
check_eq "three kfaasd --cluster register under their leases" "n1 n2 n3" \
	"$(until_eq 30 "n1 n2 n3" alive_nodes)"
one_leader() {	# the nodes whose kfaasd says it leads
	local i
	for i in 1 2 3; do
		[ "$(nk "$i" -j daemon status | jq .daemon.cluster.scheduler)" = true ] &&
			printf 'n%s ' "$i"
	done
}
is_one() { one_leader | grep -qxE 'n[123] ' && echo one; }
until_eq 30 one is_one >/dev/null
leader=$(one_leader)
check_eq "every kfaasd campaigns (3 candidates), one at a time leads: the election's leader" \
	"3 $(status | jq -r .scheduler) " \
	"$(etcdctl_run get --prefix "${CLUSTER_PREFIX}scheduler/" --keys-only | grep -c .) $leader"

# a node with a certificate of another CA, beside them
NODE_CERT=$ETCD_ROGUE_CERT NODE_KEY=$ETCD_ROGUE_KEY cluster_node_up 4
rogue=$(until_eq 30 unreachable etcd_state 4)
check_match "a node without a valid certificate is refused, and says why" \
	"unreachable .*(certificate|TLS|handshake)" \
	"$rogue $(nk 4 -j daemon status | jq -r .daemon.cluster.etcd_error)"
check_eq "... and never registers" "n1 n2 n3" "$(alive_nodes)"
cluster_node_stop 4

cat > "$T/one.yaml" <<EOF
functions:
  echo: { object: $B/bpf/echo.bpf.o }
  up: { object: $B/bpf/upper.bpf.o, selector: { rack: r1 } }
  web: { object: $B/bpf/http.bpf.o }
  hello: { vm: $B/vmfn/hello, min-warm: 1 }
routes:
  - { trigger: udp 7, fn: echo }
  - { trigger: udp 9, fn: up }
  - { trigger: tcp 8081, fn: web }
  - { trigger: udp 7070, fn: hello }
EOF
check_match "--dry-run shows the changes and writes nothing" \
	"\+ fn echo.*\+ route udp 7070 -> hello.*nothing applied.* 0$" \
	"$(kc apply --dry-run "$T/one.yaml" | tr '\n' ' ') $(status | jq .desired.generation)"
check_eq "kfaas --cluster apply writes generation 1" "1 true" \
	"$(kc -j apply "$T/one.yaml" | jq -r '"\(.generation) \(.applied)"')"
t_apply=$SECONDS
CLUSTER_NODES=3
check "every node converges on generation 1" cluster_wait_gen 1 60
diag "converged in $((SECONDS - t_apply)) s"
check_eq "the eBPF function answers on every node (socat to each address)" \
	"ping ping ping" "$(ask 1 7 ping) $(ask 2 7 ping) $(ask 3 7 ping)"
check_eq "a function with a selector answers on its node only" "PING - -" \
	"$(ask 1 9 ping) $(ask 2 9 ping || echo -) $(ask 3 9 ping || echo -)"
codes=""
for i in 1 2 3; do
	codes+="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
		  "http://$(cluster_addr "$i"):8081/nothing") "
done
check_eq "the socket tier answers on every node (curl: 404 from the kernel)" \
	"404 404 404 " "$codes"
vmnode=$(placed hello)
check_match "the VM function is placed on one node" "^n[123]$" "$vmnode"
wrote=""
for i in 1 2 3; do
	grep -q "scheduler: 'hello' on" "$CLUSTER_DIR/n$i/kfaasd.log" && wrote+="n$i "
done
check_eq "... by the scheduler alone (the logs of placements written)" "$leader" "$wrote"
v=${vmnode#n}
check_eq "... and answers its route there" "hello, w" \
	"$(until_eq "$FAILOVER_BOUND" "hello, w" hello_at "${v:-1}")"
fn_at() {	# NODE FN: FN's state in NODE's status, and its VMs
	status | jq -r --arg n "$1" --arg f "$2" '.nodes[] | select(.name == $n) |
		.functions[$f] // {} | "\(.state) vms \(.vms) cloned \(.cloned) booted \(.booted)"'
}
standby_of() { status | jq -r '.placements[] | select(.fn == "hello") | .standby // empty'; }
# hello's standby as it is now (a node that lost its lease under load
# moves it): its state there, its routes there, the MiB counted for it
standby_now() {
	local s
	s=$(standby_of)
	[ -n "$s" ] && echo "$(fn_at "$s" hello) routes $(nk "${s#n}" route list |
		grep -c 7070) $(status | jq -r --arg n "$s" '.nodes[] |
		select(.name == $n) | .standby_mib') MiB"
}
sb_want="standby vms 0 cloned 0 booted 0 routes 0 128 MiB"
check_eq "it has a standby node holding a ready template and no VM nor route, its memory counted" \
	"$sb_want" "$(until_eq "$FAILOVER_BOUND" "$sb_want" standby_now)"
sbnode=$(standby_of)
kc export > "$T/exported.yaml"
check_eq "export --cluster writes it back: applying that changes nothing" \
	"0 1" "$(kc -j apply "$T/exported.yaml" | jq -r '"\(.changes | length) \(.generation)"')"

# ---- two applies at once ----
sed 's/echo: { object: \(.*\) }/echo: { object: \1, budget: { rps: 100, burst: 10 } }/' \
	"$T/one.yaml" > "$T/a.yaml"
sed 's|^routes:|  more: { object: '"$B"'/bpf/echo.bpf.o }\nroutes:\n  - { trigger: udp 17, fn: more }|' \
	"$T/one.yaml" > "$T/b.yaml"
# the loser stops (SIGSTOP) once it has read generation 1 and computed
# its changes; the winner applies meanwhile; then the loser goes on
KFAAS_PAUSE_AT=cluster-read "$CRASH_KFAAS" --cluster "$ETCD_ENDPOINTS" \
	--etcd-ca "$ETCD_CA" --etcd-cert "$ETCD_CERT" --etcd-key "$ETCD_KEY" \
	--cluster-prefix "$CLUSTER_PREFIX" apply "$T/a.yaml" > "$T/a.out" 2>&1 &
apid=$!
proc_state() { awk '{print $3}' "/proc/$1/stat"; }
until_eq 10 T proc_state "$apid" >/dev/null
kc apply "$T/b.yaml" >/dev/null 2>&1
brc=$?
kill -CONT $apid
wait $apid
arc=$?
check_eq "two applies computed from generation 1: one wins (generation 2)" \
	"0 2" "$brc $(status | jq .desired.generation)"
check_match "... the other gets a conflict naming who won, what changed, how to retry" \
	"conflict: generation 2 was applied by .* while this apply was computed from generation 1 \(2 changes: \+ fn more.*\+ route udp 17 -> more\).*nothing was written.*export.*apply again" \
	"$arc $(cat "$T/a.out")"
check_eq "... and nothing of the loser was written" "" \
	"$(kc export | grep -o 'rps: 100')"
check "every node converges on generation 2" cluster_wait_gen 2 60

# ---- the cluster-wide view ----
for i in 1 2 3; do for r in 1 2 3 4 5; do ask "$i" 7 "s$r" >/dev/null; done; done
want=$(echo_local)
check_eq "kfaas stats --cluster sums each node's counters (every request sent)" \
	"$want" "$(until_eq 10 "$want" echo_total)"
st=$(kc -j stats echo)
check_eq "... per function and per node" "3 $want" \
	"$(echo "$st" | jq '"\(.[0].nodes | length) \([.[0].nodes[].invocations] | add)"' -r)"
check_match "kfaas top --cluster: rates per function and per node" \
	'"name":"echo".*"nodes":\{"n1"' "$(kc -j top --delay 1 --count 1)"
prom=$(nsenter --net=/run/netns/"${NODE_NS[1]}" curl -s --max-time 5 http://127.0.0.1:9501/metrics)
check_match "the Prometheus endpoint labels samples with the node" \
	'kfaas_function_invocations_total\{function="echo",tier="xdp",node="n1"\} [0-9]+' "$prom"
check_match "... and says whether etcd answers" 'kfaas_cluster_etcd_up\{node="n1"\} 1' "$prom"

# ---- a node restarted: resumes, catches up, refuses a tampered artifact ----
r=$(printf '%s\n' 1 2 3 | grep -vx -e "$v" -e "${sbnode#n}" | head -n 1)	# not hello's
ids_before=$(nk "$r" -j fn list | jq -r '[.[] | select(.tier != "vm") | "\(.name)=\(.prog_id)"] | join(" ")')
rev_before=$(nk "$r" -j daemon status | jq -r .daemon.cluster.applied_revision)
cluster_node_kill "$r"
cp "$B/bpf/echo.bpf.o" "$T/extra.bpf.o"
printf 'a copy of echo with other bytes' >> "$T/extra.bpf.o"
sed 's|^routes:|  extra: { object: '"$T"'/extra.bpf.o }\nroutes:\n  - { trigger: udp 19, fn: extra }|' \
	"$T/b.yaml" > "$T/c.yaml"
kc apply "$T/c.yaml" >/dev/null
CLUSTER_NODES=2 cluster_wait_gen 3 60 >/dev/null 2>&1
hash=$(sha256sum < "$T/extra.bpf.o" | cut -d' ' -f1)
head -c 4096 /dev/urandom > "$T/junk"
check "etcdctl replaces the artifact of the new function behind the store's back" \
	etcdctl_run put "${CLUSTER_PREFIX}chunks/sha256/$hash/000000" < "$T/junk"
cluster_node_start "$r"
CLUSTER_NODES=3 cluster_wait_gen 3 60 >/dev/null 2>&1
check_match "a restarted node resumes from the revision its pin root kept" \
	"from revision $rev_before" "$(nk "$r" -j daemon status | jq -r .daemon.cluster.resumed)"
check_eq "... catches up with the generation applied while it was down" 3 \
	"$(nk "$r" -j daemon status | jq -r .daemon.cluster.generation)"
check_eq "... without reloading unchanged functions (program ids the same)" \
	"$ids_before" \
	"$(nk "$r" -j fn list | jq -r '[.[] | select(.name != "extra" and .tier != "vm") | "\(.name)=\(.prog_id)"] | join(" ")')"
check_match "a tampered artifact is refused, the node's status says which and why" \
	"failed .*sha256:$hash.*does not match" \
	"$(status | jq -r ".nodes[] | select(.name == \"n$r\") | .functions.extra | \"\(.state) \(.artifact) \(.error)\"")"
check_eq "... it is not loaded there, and its route is not installed" "absent -" \
	"$(nk "$r" fn show extra >/dev/null 2>&1 && echo loaded || echo absent) $(ask "$r" 19 x || echo -)"
check_eq "... while the nodes that fetched it before serve it" "x" "$(ask 1 19 x)"

# ---- failover: kill -9 of the node running the VM function ----
# (where it and its standby are now, once the standby holds its template)
until_eq "$FAILOVER_BOUND" "$sb_want" standby_now >/dev/null
sbnode=$(standby_of)
vmnode=$(placed hello)
v=${vmnode#n}
ebpf_ids() {	# I: node I's eBPF functions and their program ids
	nk "$1" -j fn list | jq -r '[.[] | select(.tier != "vm") | "\(.name)=\(.prog_id)"] | join(" ")'
}
v_ids=$(ebpf_ids "$v")
t_kill=$SECONDS
cluster_node_kill "$v"
moved=$(until_eq "$FAILOVER_BOUND" moved moved_from "$vmnode")
newnode=$(placed hello)
t_moved=$SECONDS
check_eq "kill -9 of $vmnode: its lease expires and hello is placed on its standby node" \
	"moved $sbnode" "$moved $newnode"
w=${newnode#n}
answer=$(until_eq $((FAILOVER_BOUND - (SECONDS - t_kill))) "hello, w" hello_at "${w:-1}")
check_eq "... and its route answers on $newnode within $FAILOVER_BOUND s" "hello, w" "$answer"
check_match "... from a clone of the template it held, not a cold boot" \
	"^ready vms [1-9][0-9]* cloned [1-9][0-9]* booted 0$" "$(fn_at "$newnode" hello)"
diag "failover: placed on $newnode $((t_moved - t_kill)) s after the kill, answering after $((SECONDS - t_kill)) s (lease TTL $CLUSTER_TTL s)"
check_eq "... and the dead node's last status stays, marked dead" \
	"dead (lease expired)" "$(status | jq -r ".nodes[] | select(.name == \"$vmnode\") | .health")"

cat "$T/c.yaml" > "$T/d.yaml"
sed -i 's|^routes:|  huge: { vm: '"$B"'/vmfn/hello, mem: 4096, min-warm: 1 }\nroutes:|' "$T/d.yaml"
kc apply "$T/d.yaml" >/dev/null
check_match "a VM function no node has room for is reported unplaced, with why" \
	"huge 1 no room: it needs 4096 MiB" "$(until_eq 20 x unplaced_why)"
live=""
for i in 1 2 3; do [ "$i" != "$v" ] && live+="$i "; done
CLUSTER_NODES=2

# ---- etcd failures ----
etcd_member_stop 1
sed 's/rps: 100/rps: 200/' "$T/d.yaml" > "$T/e.yaml"
sed -i 's/echo: { object: \(.*\) }/echo: { object: \1, budget: { rps: 200, burst: 10 } }/' "$T/e.yaml"
check "with one etcd member stopped, an apply is taken" kc apply "$T/e.yaml"
check "... and the live nodes converge" cluster_wait_gen 5 60
served=""
for i in $live; do served+="$(ask "$i" 7 q)"; done
check_eq "... while every node serves" "qq" "$served"
etcd_member_start 1
etcd_wait_healthy >/dev/null 2>&1

etcd_quorum_stop
t_q=$SECONDS
out=$(kc apply "$T/d.yaml" 2>&1)
check_match "without a quorum an apply fails and says why" "Error: .*etcd" "$out"
states=""
for i in $live; do
	states+="$(until_eq 30 unreachable etcd_state "$i") "
done
check_eq "... every node says so in its status" "unreachable unreachable " "$states"
check_match "... and in its metrics" 'kfaas_cluster_etcd_up\{node="n[0-9]"\} 0' \
	"$(nsenter --net=/run/netns/"${NODE_NS[${live%% *}]}" curl -s --max-time 5 "http://127.0.0.1:$((9500 + ${live%% *}))/metrics")"
served=""
for i in $live; do served+="$(ask "$i" 7 q)"; done
answer=$(ask "${w:-1}" 7070 z | grep -o 'hello, z')
check_eq "... and every node keeps serving its last applied state (XDP and VM)" \
	"qq hello, z" "$served $answer"
diag "quorum lost for $((SECONDS - t_q)) s"
etcd_quorum_start 2>"$T/etcd.err"
check_eq "the quorum restarts" 0 $? || diag "$(cat "$T/etcd.err")"
check "an apply after it is taken" kc apply "$T/d.yaml"
check "... and every live node converges on it" cluster_wait_gen 6 90
check_eq "... and says etcd answers again" "up up " \
	"$(for i in $live; do nk "$i" -j daemon status | jq -r .daemon.cluster.etcd | tr '\n' ' '; done)"

# ---- the VM node, down since the failover, comes back after a compaction ----
crev=$(etcdctl_run get x -w json | jq .header.revision)
check "etcdctl compact at the current revision ($crev) while $vmnode is down" \
	etcdctl_run compact "$crev"
cluster_node_start "$v"
CLUSTER_NODES=3 cluster_wait_gen 6 90 >/dev/null 2>&1
check_eq "a node whose revision was compacted falls back to a full re-read" \
	"compacted at $crev: full read" "$(nk "$v" -j daemon status | jq -r .daemon.cluster.resumed)"
check_eq "... and converges: the generation applied meanwhile, unchanged programs kept, the moved VM function gone" \
	"6 $v_ids absent" \
	"$(nk "$v" -j daemon status | jq -r .daemon.cluster.generation) $(ebpf_ids "$v") $(nk "$v" fn show hello >/dev/null 2>&1 && echo present || echo absent)"

leaks=$(for i in 1 2 3 4; do grep -ci "AddressSanitizer\|segfault\|assert" "$CLUSTER_DIR/n$i/kfaasd.log"; done | paste -sd+ | bc)
check_eq "no node crashed (logs)" 0 "$leaks"
diag "the group took $((SECONDS - t0)) s"
ktap_finish

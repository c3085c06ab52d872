# SPDX-License-Identifier: GPL-2.0
#
# The kv cache (docs/kv.md) in front of a real memcached on the guest's
# kernel (Debian 12's 6.1), sourced INSIDE the test guest by stock61.sh
# (tests/kmod/test_stock61.sh): kv_run, 20 cases.
# 6.1's cgroup skb programs cannot call bpf_get_netns_cookie(): asked for
# it ('--udp-match netns'), 'kfaas-kv attach' fails with the verifier's
# reason and changes nothing; by default it probes the kernel and has the
# UDP hooks know memcached's sockets by a mark put on them at bind.
# Then memcached's UDP gets (mc_udp) are answered by the dispatcher on lo
# (generic XDP) once filled from memcached's replies, and writes through
# memcached over TCP (busybox nc) and UDP reach the next get; after
# detach memcached serves alone.  memcached comes in the initramfs
# (tools/vm/initramfs.sh copies the host's).
kv_tcp() {	# REQUEST: memcached's reply over TCP, "|" for each LF
	printf "$1quit\r\n" | timeout 10 nc 127.0.0.1 11211 2>&1 |
		tr -d '\r' | tr '\n' '|'
}
kv_udp() { "$B/kmod-guest/mc_udp" 127.0.0.1 11211 "$1"; }	# REQUEST
kv_stat() { jnum "$1" "$("$K" -j stats kv)"; }	# COUNTER of kfaas stats kv

# KEY VALUE: the UDP get answers VALUE and is counted as a hit
kv_hit() {
	local h
	h=$(kv_stat hits)
	[ "$(kv_udp "get $1\r\n")" = "VALUE $1 0 ${#2}|$2|END|" ] &&
		[ "$(kv_stat hits)" = $((h + 1)) ]
}

kv_run() {
	local root=/sys/fs/bpf/kfaas-kv-guest KV="$B/kfaas-kv" out rc pins i mc
	export KFAAS_PIN_ROOT=$root

	mkdir -p /sys/fs/cgroup
	mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
	mc=$(command -v memcached)
	[ -n "$mc" ] || diag "no memcached in the guest: install it on the host (tools/deps.sh)"
	"${mc:-memcached}" -u root -t 1 -m 16 -l 127.0.0.1 -p 11211 -U 11211 \
		>/tmp/memcached.log 2>&1 &
	mc=$!
	for i in $(seq 100); do
		[ "$(kv_tcp 'version\r\n' | cut -c1-7)" = VERSION ] && break
		sleep 0.1
	done
	check_match "memcached answers over TCP and UDP" "^VERSION [^|]*\| VERSION " \
		"$(kv_tcp 'version\r\n') $(kv_udp 'version\r\n')"
	check "load kv, route UDP 11211 to it, the dispatcher on lo (generic)" sh -c "
		$K fn load $B/bpf/kv.bpf.o kv >/dev/null &&
		$K route add udp 11211 fn kv >/dev/null &&
		$K net attach lo generic >/dev/null"

	pins=$(ls "$root/fn/kv")
	out=$("$KV" attach --udp-match netns 2>&1)
	rc=$?
	check_match "attach --udp-match netns fails: 6.1's verifier refuses bpf_get_netns_cookie in cgroup skb" \
		"unknown func bpf_get_netns_cookie" "$out"
	[ $rc != 0 ] && [ "$out" != "${out#*cannot load the hooks}" ]
	check "... with a non-zero exit and the verifier log's tail" test $? = 0 -a $rc != 0
	[ $rc != 0 ] || diag "$out"
	check_eq "... and changes nothing (no pin, not attached)" "$pins|attached no" \
		"$(ls "$root/fn/kv")|$("$KV" stats | head -n 1)"

	out=$("$KV" attach 2>&1)
	check_match "attach: the kernel probed, memcached's UDP sockets known by a mark" \
		"^attached to port 11211: .* a mark put on them at bind" "$out"
	check_eq "a set over TCP" "STORED|" "$(kv_tcp 'set k1 0 0 5\r\nhello\r\n')"
	check_eq "the first UDP get misses: memcached answers" \
		"VALUE k1 0 5|hello|END|" "$(kv_udp 'get k1\r\n')"
	check "... its reply filled the cache: the next get is a hit" kv_hit k1 hello
	check_eq "a set over TCP through memcached" "STORED|" \
		"$(kv_tcp 'set k1 0 0 5\r\nworld\r\n')"
	out=$(kv_udp 'get k1\r\n')
	check_eq "... the next UDP get has the new value, from memcached" \
		"VALUE k1 0 5|world|END|" "$out"
	check "... then from the cache" kv_hit k1 world
	check_eq "a set over UDP (the marked socket's hook)" "STORED|" \
		"$(kv_udp 'set k1 0 0 3\r\nudp\r\n')"
	check_eq "... the next UDP get has the new value" "VALUE k1 0 3|udp|END|" \
		"$(kv_udp 'get k1\r\n')"
	check_eq "a delete over TCP" "DELETED|" "$(kv_tcp 'delete k1\r\n')"
	out=$(kv_udp 'get k1\r\n')
	check_eq "... the next UDP get finds nothing" "END|" "$out"
	check_eq "... 2 hits, 4 misses, 4 writes' invalidations counted" "2 4 4" \
		"$(kv_stat hits) $(kv_stat misses) $(kv_stat invalidations)"

	check "detach" "$KV" detach
	check_eq "... no hook left" "$pins" "$(ls "$root/fn/kv")"
	kv_tcp 'set k2 0 0 4\r\nlast\r\n' >/dev/null
	check_eq "... memcached serves UDP and TCP alone" \
		"VALUE k2 0 4|last|END| VALUE k2 0 4|last|END|" \
		"$(kv_udp 'get k2\r\n') $(kv_tcp 'get k2\r\n')"

	kill $mc
	wait $mc 2>/dev/null
	"$K" net detach lo >/dev/null 2>&1
	rm -rf "$root"
}

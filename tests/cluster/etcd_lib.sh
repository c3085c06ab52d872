# SPDX-License-Identifier: GPL-2.0
# A real etcd cluster for the cluster tests (sourced after tests/lib.sh):
# ETCD_MEMBERS (3) members on loopback, client TLS with certificates made
# here by openssl (their own CA), ports and directories unique to this
# PID, everything stopped and removed on exit.
#
#   etcd_cluster_start          make the CA and certificates, start every
#                               member, wait until the cluster is healthy
#   etcd_member_stop I          stop member I (1-based) and wait for it
#   etcd_member_start I         start it again on its data directory
#   etcd_quorum_stop            stop members N/2+1..N: those left are no
#                               quorum
#   etcd_quorum_start           start them again, wait until healthy
#   etcd_wait_healthy           every running member answers /health true
#   etcdctl_run ARGS...         etcdctl on the cluster, with the client cert
#   etcd_netns_attach NS N      reach the cluster from network namespace NS
#                               (a veth on the cluster's bridge, address
#                               $ETCD_NET.(10+N)): endpoints in
#                               $ETCD_NETNS_ENDPOINTS
#
# After etcd_cluster_start:
#   ETCD_ENDPOINTS          https://127.0.0.1:PORT,... (member order)
#   ETCD_EP[I] ETCD_PID[I]  member I's client URL and process
#   ETCD_CA ETCD_CERT ETCD_KEY          the CA and a valid client certificate
#   ETCD_ROGUE_CERT ETCD_ROGUE_KEY      a client certificate of another CA
#   ETCD_DIR                the temporary directory (data, logs, certs)
#
# A network namespace cannot reach the root namespace's loopback, so the
# members also listen on a bridge of the root namespace (kfePID,
# $ETCD_NET.1/24) that etcd_netns_attach joins namespaces to: the nodes
# of a test reach etcd as bare-metal nodes reach it over their LAN.
#
# ETCD_PEER_TLS=1: peers talk TLS too.  ETCD_PROGRESS (1s): the interval
# of watch progress notifications.

ETCD_MEMBERS=${ETCD_MEMBERS:-3}
ETCD_PROGRESS=${ETCD_PROGRESS:-1s}
ETCD_READY_TIMEOUT=${ETCD_READY_TIMEOUT:-30}
declare -a ETCD_EP ETCD_PID ETCD_CPORT ETCD_PPORT
ETCD_BRIDGE=kfe$$

# 2*N free ports below the ephemeral range, from a base unique to the PID.
_etcd_pick_ports() {
	local base i p busy
	base=$((10000 + ($$ % 2700) * 8))
	for _ in $(seq 1 50); do
		busy=0
		for ((i = 0; i < 2 * ETCD_MEMBERS; i++)); do
			p=$((base + i))
			if ss -Htln "sport = :$p" | grep -q .; then
				busy=1
				break
			fi
		done
		if [ $busy = 0 ]; then
			for ((i = 1; i <= ETCD_MEMBERS; i++)); do
				ETCD_CPORT[$i]=$((base + 2 * i - 2))
				ETCD_PPORT[$i]=$((base + 2 * i - 1))
			done
			return 0
		fi
		base=$((base + 8))
		[ $base -lt 31600 ] || base=10000
	done
	echo "etcd_lib: no free ports" >&2
	return 1
}

# A /24 for the bridge unique to the PID and not routed yet.
_etcd_pick_net() {
	local a b
	a=$((200 + ($$ >> 8) % 50)); b=$(($$ % 256))
	for _ in $(seq 1 256); do
		if [ -z "$(ip -4 route show "10.$a.$b.0/24")" ]; then
			ETCD_NET=10.$a.$b
			return 0
		fi
		b=$(((b + 1) % 256))
	done
	echo "etcd_lib: no free 10.$a.x.0/24" >&2
	return 1
}

# CA, server certificate (loopback and bridge addresses; clientAuth too:
# etcd's gateway presents it when it calls etcd itself), a client
# certificate, and a client certificate of an unrelated CA.
_etcd_certs() {
	local d=$ETCD_DIR/pki
	local ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	mkdir -p "$d"
	# shellcheck disable=SC2086
	{
	openssl req -x509 $ec -days 2 -subj "/CN=kfaas-test-ca-$$" \
		-keyout "$d/ca.key" -out "$d/ca.crt" &&
	openssl req -x509 $ec -days 2 -subj "/CN=kfaas-rogue-ca-$$" \
		-keyout "$d/rogue-ca.key" -out "$d/rogue-ca.crt" &&
	_etcd_sign server ca "/CN=etcd" \
		"subjectAltName=IP:127.0.0.1,IP:$ETCD_NET.1
extendedKeyUsage=serverAuth,clientAuth" &&
	_etcd_sign client ca "/CN=kfaas-node" "extendedKeyUsage=clientAuth" &&
	_etcd_sign rogue rogue-ca "/CN=kfaas-node" "extendedKeyUsage=clientAuth"
	} >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; return 1; }
	ETCD_CA=$d/ca.crt; ETCD_CERT=$d/client.crt; ETCD_KEY=$d/client.key
	ETCD_ROGUE_CERT=$d/rogue.crt; ETCD_ROGUE_KEY=$d/rogue.key
}

_etcd_sign() {	# name ca subject extensions
	local d=$ETCD_DIR/pki
	# shellcheck disable=SC2086
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "$3" -keyout "$d/$1.key" -out "$d/$1.csr" &&
	printf '%s\n' "$4" >"$d/$1.ext" &&
	openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.crt" -CAkey "$d/$2.key" \
		-CAcreateserial -days 2 -extfile "$d/$1.ext" -out "$d/$1.crt"
}

_etcd_bridge_up() {
	ip link add "$ETCD_BRIDGE" type bridge &&
	ip addr add "$ETCD_NET.1/24" dev "$ETCD_BRIDGE" &&
	ip link set "$ETCD_BRIDGE" up
}

etcd_member_start() {	# I
	local i=$1 j cluster="" scheme=http d=$ETCD_DIR pki=$ETCD_DIR/pki
	local lo=127.0.0.1:${ETCD_CPORT[$1]} br=$ETCD_NET.1:${ETCD_CPORT[$1]}
	local peer=127.0.0.1:${ETCD_PPORT[$1]}
	local -a peer_tls=()
	if [ "${ETCD_PEER_TLS:-0}" = 1 ]; then
		scheme=https
		peer_tls=(--peer-cert-file "$pki/server.crt"
			  --peer-key-file "$pki/server.key"
			  --peer-trusted-ca-file "$pki/ca.crt"
			  --peer-client-cert-auth)
	fi
	for ((j = 1; j <= ETCD_MEMBERS; j++)); do
		cluster+="${cluster:+,}m$j=$scheme://127.0.0.1:${ETCD_PPORT[$j]}"
	done
	etcd --name "m$i" --data-dir "$d/m$i.data" \
		--listen-client-urls "https://$lo,https://$br" \
		--advertise-client-urls "https://$lo" \
		--listen-peer-urls "$scheme://$peer" \
		--initial-advertise-peer-urls "$scheme://$peer" \
		--initial-cluster "$cluster" --initial-cluster-state new \
		--initial-cluster-token "kfaas-test-$$" \
		--cert-file "$pki/server.crt" --key-file "$pki/server.key" \
		--trusted-ca-file "$pki/ca.crt" --client-cert-auth \
		"${peer_tls[@]}" \
		--experimental-watch-progress-notify-interval "$ETCD_PROGRESS" \
		--logger zap --log-outputs stderr >>"$d/m$i.log" 2>&1 &
	ETCD_PID[$i]=$!
}

etcd_member_stop() {	# I
	local i=$1 pid=${ETCD_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	# etcd may take a moment after SIGTERM; never reuse its ports early
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	ETCD_PID[$i]=""
}

# /health of member I says true (it is part of a cluster with a leader).
_etcd_healthy() {
	curl -sf --max-time 2 --cacert "$ETCD_CA" --cert "$ETCD_CERT" \
		--key "$ETCD_KEY" "${ETCD_EP[$1]}/health" 2>/dev/null |
		grep -q '"health":"true"'
}

etcd_wait_healthy() {
	local i ok deadline=$((SECONDS + ETCD_READY_TIMEOUT))
	while [ $SECONDS -lt $deadline ]; do
		ok=1
		for ((i = 1; i <= ETCD_MEMBERS; i++)); do
			[ -n "${ETCD_PID[$i]}" ] || continue
			if ! kill -0 "${ETCD_PID[$i]}" 2>/dev/null; then
				echo "etcd member $i exited; its log:" >&2
				tail -n 20 "$ETCD_DIR/m$i.log" >&2
				return 1
			fi
			_etcd_healthy "$i" || { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	echo "etcd: not healthy after ${ETCD_READY_TIMEOUT}s" >&2
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		tail -n 5 "$ETCD_DIR/m$i.log" >&2
	done
	return 1
}

etcd_quorum_stop() {
	local i
	for ((i = ETCD_MEMBERS / 2 + 1; i <= ETCD_MEMBERS; i++)); do
		etcd_member_stop "$i"
	done
}

etcd_quorum_start() {
	local i
	for ((i = ETCD_MEMBERS / 2 + 1; i <= ETCD_MEMBERS; i++)); do
		etcd_member_start "$i"
	done
	etcd_wait_healthy
}

etcd_cluster_stop() {
	local i
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		etcd_member_stop "$i"
	done
	ip link del "$ETCD_BRIDGE" 2>/dev/null
	[ -n "${ETCD_DIR:-}" ] && rm -rf "$ETCD_DIR"
	return 0
}

etcd_cluster_start() {
	local i
	command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
		{ echo "etcd is not installed: run tools/deps.sh" >&2; return 1; }
	ETCD_DIR=$(mktemp -d "/tmp/kfaas-etcd-$$.XXXXXX") || return 1
	cleanup_add etcd_cluster_stop
	_etcd_pick_ports && _etcd_pick_net && _etcd_certs && _etcd_bridge_up ||
		return 1
	ETCD_ENDPOINTS=""; ETCD_NETNS_ENDPOINTS=""
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		ETCD_EP[$i]=https://127.0.0.1:${ETCD_CPORT[$i]}
		ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}${ETCD_EP[$i]}"
		ETCD_NETNS_ENDPOINTS+="${ETCD_NETNS_ENDPOINTS:+,}"
		ETCD_NETNS_ENDPOINTS+="https://$ETCD_NET.1:${ETCD_CPORT[$i]}"
	done
	for ((i = 1; i <= ETCD_MEMBERS; i++)); do
		etcd_member_start "$i"
	done
	etcd_wait_healthy
}

etcdctl_run() {
	ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" --cacert "$ETCD_CA" \
		--cert "$ETCD_CERT" --key "$ETCD_KEY" "$@"
}

etcd_netns_attach() {	# NS N
	local ns=$1 n=$2 host=kfe$$v$2
	ip link add "$host" type veth peer name etcd0 netns "$ns" &&
	ip link set "$host" master "$ETCD_BRIDGE" up &&
	ip -n "$ns" addr add "$ETCD_NET.$((10 + n))/24" dev etcd0 &&
	ip -n "$ns" link set etcd0 up &&
	ip -n "$ns" link set lo up
}

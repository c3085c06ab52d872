# SPDX-License-Identifier: GPL-2.0
# A veth/netns sandbox for kfaas (sourced by tools/demo.sh and tests/lib.sh).
# Needs $B (the build directory) and cleanup_add (a function that records
# a command to run on exit).

# Two namespaces joined by a veth pair:
#   $NS_SRV: $SRV_IF 10.X.0.1/24 fd00:X::1/64   (the kfaas side)
#   $NS_CLI: $CLI_IF 10.X.0.2/24 fd00:X::2/64   (the clients)
# The client end runs an XDP_PASS program so that native XDP_TX replies
# from the server end are delivered (veth needs XDP on the peer).
sandbox_up() {	# name octet
	NS_SRV=kfs-$1-$$; NS_CLI=kfc-$1-$$; SRV_IF=kfs$2; CLI_IF=kfc$2
	SRV4=10.$2.0.1; CLI4=10.$2.0.2; SRV6=fd00:$2::1; CLI6=fd00:$2::2
	ip netns add "$NS_SRV" && ip netns add "$NS_CLI" || return 1
	cleanup_add "ip netns del $NS_SRV; ip netns del $NS_CLI"
	ip link add "$SRV_IF" netns "$NS_SRV" type veth peer name "$CLI_IF" \
		netns "$NS_CLI" || return 1
	ip -n "$NS_SRV" addr add $SRV4/24 dev "$SRV_IF"
	ip -n "$NS_CLI" addr add $CLI4/24 dev "$CLI_IF"
	ip -n "$NS_SRV" addr add $SRV6/64 dev "$SRV_IF" nodad
	ip -n "$NS_CLI" addr add $CLI6/64 dev "$CLI_IF" nodad
	for ns in "$NS_SRV" "$NS_CLI"; do ip -n "$ns" link set lo up; done
	ip -n "$NS_SRV" link set "$SRV_IF" up
	ip -n "$NS_CLI" link set "$CLI_IF" up
	ip -n "$NS_CLI" link set dev "$CLI_IF" xdpdrv obj "$B/bpf/xdp_pass.bpf.o" \
		sec xdp || return 1
}

# Run in the server / client namespace (network only: bpffs stays visible).
in_srv() { nsenter --net=/run/netns/"$NS_SRV" "$@"; }
in_cli() { nsenter --net=/run/netns/"$NS_CLI" "$@"; }

# SPDX-License-Identifier: GPL-2.0
# Shell helpers of the tests that drive a kfaasd (sourced after ../lib.sh,
# with $KFAAS set).  The test starts kfaasd in the background with its own
# options, puts its pid in DPID, then calls daemon_wait_ready.

# vm_require TOOL...: root, kfaasd, the guest image, the test function,
# QEMU and the tools, or the whole test is skipped saying what is missing
vm_require() {
	require_root
	[ -x "$B/kfaasd" ] && [ -r "$B/vm/guest.cpio" ] && [ -x "$B/tests/vm/fn/kfn" ] ||
		ktap_skip_all "kfaasd, the guest image or the test function is not built"
	require_tools qemu-system-x86_64 "$@"
}

DPID=
# stats_get NAME JQ: one field of function NAME's 'kfaas stats'
stats_get() { "$KFAAS" -j stats "$1" | jq -r "$2"; }
# QEMU processes of the run directory $RUN that are alive (zombies are
# dead); $1: a function id, or nothing for all
live_qemus() {
	local p
	for p in /proc/[0-9]*; do
		{ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null |
			grep -q -- "guest=kfaasd:$RUN:$1" || continue
		alive "${p#/proc/}" || continue
		echo "${p#/proc/}"
	done
}
# SIGKILL every live QEMU of the run directory $RUN
kill_qemus() { local p; for p in $(live_qemus); do kill -9 "$p"; done; }
alive() { awk '/^State:/ { exit ($2 == "Z") }' "/proc/$1/status" 2>/dev/null; }
# daemon_wait_ready TRIES: until 'kfaas daemon status' answers (TRIES
# times 0.2 s); fails at once if kfaasd has exited
daemon_wait_ready() {
	local i
	for i in $(seq "$1"); do
		"$KFAAS" daemon status >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
# SIGTERM kfaasd and return its exit status
daemon_stop() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	local rc=$?
	DPID=
	return $rc
}
st() { "$KFAAS" -j daemon status; }
pool() { st | jq -c ".functions[] | select(.name==\"$1\") | .pool"; }
pool_get() { pool "$1" | jq -r "$2"; }
# wait until jq expression $2 on function $1's pool is true (up to $3 s)
wait_pool() {
	local i
	for i in $(seq $((${3:-20} * 5))); do
		[ "$(pool_get "$1" "$2")" = true ] && return 0
		sleep 0.2
	done
	diag "$(pool "$1")"
	return 1
}

# vm_sandbox_daemon PINROOT SANDBOX OCTET: a pin root, a veth sandbox
# (NS_SRV, NS_CLI), a run directory RUN and a kfaasd in the server
# namespace logging to LOG (DPID), all gone at the end of the test; the
# test bails out when the sandbox cannot be made
vm_sandbox_daemon() {
	LOG=$(mktemp /tmp/kfaasd-"$1".XXXXXX)
	export KFAAS_RUN_DIR=/run/kfaasd-$2$$
	RUN=$KFAAS_RUN_DIR
	use_pin_root "$1"
	sandbox_up "$2" "$3" || { echo "Bail out! no sandbox"; exit 1; }
	cleanup_add "daemon_stop; kill_qemus; rm -rf $RUN; rm -f $LOG"
	nsenter --net=/run/netns/"$NS_SRV" "$B/kfaasd" --cache-dir /var/cache/kfaasd-test \
		--refresh 500 --config none >>"$LOG" 2>&1 &
	DPID=$!
	daemon_wait_ready 100
}

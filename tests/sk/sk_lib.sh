# SPDX-License-Identifier: GPL-2.0
# Helpers of the socket-tier tests (sourced after tests/lib.sh).

# Start the listener in the server namespace; stopped (and killed if it
# will not stop) at exit.  Sets SK_PID.
sk_serve() {
	local out
	SK_PID=
	SK_LOG=$(mktemp)
	cleanup_add "rm -f $SK_LOG"
	out=$(in_srv "$KFAAS" -j sk serve --log "$SK_LOG") || {
		diag "kfaas sk serve failed: $out"
		return 1
	}
	SK_PID=$(printf '%s' "$out" | jq -r '.pid | numbers')
	cleanup_add "kill -9 $SK_PID 2>/dev/null"
	cleanup_add "$KFAAS sk stop --timeout 3"
}

# Is the listener of sk_serve running: SK_PID a pid (not jq's "null"),
# alive, and the one 'kfaas sk show' reports?
sk_alive() {
	[[ $SK_PID =~ ^[1-9][0-9]*$ ]] && kill -0 "$SK_PID" 2>/dev/null &&
	[ "$("$KFAAS" -j sk show | jq -r '"\(.running) \(.pid)"')" = "true $SK_PID" ]
}

# One field of 'kfaas sk show'.
sk_show() { "$KFAAS" -j sk show | jq -r ".$1"; }

# No connection left: no client socket, relay, link or record.
sk_idle() {
	[ "$(sk_show connections)" = 0 ] && [ "$(sk_show sockets)" = 0 ] &&
	[ "$(sk_show records)" = 0 ]
}

# A counter of a function.
fn_stat() { "$KFAAS" -j stats "$1" | jq -r ".$2"; }

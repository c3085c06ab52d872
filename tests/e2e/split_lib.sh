# SPDX-License-Identifier: GPL-2.0
# Helpers of the traffic-split tests (sourced after tests/lib.sh): a
# route "$SPLIT_ROUTE" (PROTO PORT) split between $SPLIT_A and $SPLIT_B.

# The requests the two versions served (their invocations).
split_served() {
	echo $(( $("$KFAAS" -j stats "$SPLIT_A" | jq .invocations) +
		 $("$KFAAS" -j stats "$SPLIT_B" | jq .invocations) ))
}

# split_wait N SECS: until the versions served N more requests; 1 if
# SECS pass first.
split_wait() {
	local want=$(( $(split_served) + $1 )) i
	for i in $(seq $(( $2 * 10 ))); do
		[ "$(split_served)" -ge $want ] && return 0
		sleep 0.1
	done
	return 1
}

# split_changes N SECS "WA WB" ...: while a client sends, set the weights
# to each pair in turn, each after N more requests were served, and wait
# for N more after the last; 0 when every change was made in time.
split_changes() {
	local n=$1 secs=$2 ok=0 w
	shift 2
	for w in "$@"; do
		set -- $w
		split_wait $n $secs || ok=1
		"$KFAAS" route set $SPLIT_ROUTE weights "$SPLIT_A" $1 "$SPLIT_B" $2 \
			>/dev/null || ok=1
	done
	split_wait $n $secs || ok=1
	return $ok
}

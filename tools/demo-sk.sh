#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The socket tier in the demo: the in-kernel HTTP/1.1 responder serves a
# page to curl and to wrk, kfaas invoke calls it, kfaas stats counts it.
#
#   tools/demo-sk.sh BUILD_DIR [NETNS [PIN_ROOT]]
#
# NETNS: a network namespace to serve in (/run/netns/NETNS); without one
# the script makes its own and removes it at the end.  PIN_ROOT defaults to
# $KFAAS_PIN_ROOT, else a private one.  Everything the script adds (the
# function, its route, the listener, what it created) goes when it ends.
set -eu
B=$(cd "${1:?usage: tools/demo-sk.sh BUILD_DIR [NETNS [PIN_ROOT]]}" && pwd)
NS=${2:-}
export KFAAS_PIN_ROOT=${3:-${KFAAS_PIN_ROOT:-/sys/fs/bpf/kfaas-demo-sk-$$}}
K="$B/kfaas"
PORT=${KFAAS_DEMO_SK_PORT:-8080}
own_ns=
own_root=
[ -e "$KFAAS_PIN_ROOT" ] || own_root=1

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$'; printf ' %q' "$@"; printf '\n'; "$@"; }

cleanup() {
	set +e
	"$K" sk stop >/dev/null 2>&1
	if [ -z "${KFAAS_DEMO_KEEP:-}" ]; then	# see tools/demo-vm.sh
		"$K" route del tcp "$PORT" >/dev/null 2>&1
		"$K" fn unload demo-http >/dev/null 2>&1
	fi
	[ -n "$own_root" ] && rm -rf "$KFAAS_PIN_ROOT"
	[ -n "$own_ns" ] && ip netns del "$NS"
}
trap cleanup EXIT

if [ -z "$NS" ]; then
	NS=kfaas-demo-sk-$$
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	own_ns=1
fi
IN="nsenter --net=/run/netns/$NS"

step "load the HTTP responder: an eBPF program at the socket tier"
run "$K" fn load "$B/bpf/http.bpf.o" demo-http
run "$K" route add tcp "$PORT" fn demo-http
run "$B/kfaas-http" --fn demo-http set /hello --data "hello from the kernel"$'\n'
run "$B/kfaas-http" --fn demo-http set /index.html \
	--data '<html><body><h1>kfaas</h1><p>answered in the kernel</p></body></html>'

step "start the listener: it accepts, the kernel answers"
run $IN "$K" sk serve

step "curl"
run $IN curl -si "http://127.0.0.1:$PORT/hello"
run $IN curl -s -o /dev/null -w '%{http_code} for /missing\n' \
	"http://127.0.0.1:$PORT/missing"

step "kfaas invoke: a request through a loopback connection"
run $IN "$K" invoke demo-http --data $'GET /index.html HTTP/1.1\r\nHost: demo\r\n\r\n'

if command -v wrk >/dev/null; then
	step "wrk: 2 seconds, 50 connections"
	run $IN wrk -t 2 -c 50 -d 2s "http://127.0.0.1:$PORT/hello"
fi

step "accounting"
run "$K" stats demo-http
run "$K" sk show

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install every build and test dependency of kfaas with apt (Debian 12).
#   tools/deps.sh          install what is missing (needs root)
#   tools/deps.sh --check  exit 1 and list what is missing, install nothing
set -eu

# build: compilers, libbpf/libelf/zlib, bpftool, json-c, module tooling,
# liblzma (kfaasd unpacks the guest vmlinux), static libc (guest programs),
# linux-source-6.1 (resolve_btfids and checkpatch.pl for kfaas.ko; perl
# for checkpatch.pl, which needs more than perl-base's modules),
# libcurl and OpenSSL's libcrypto (the etcd client, artifact SHA-256)
BUILD="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool
pkg-config libjson-c-dev libyaml-dev linux-headers-amd64 dwarves
sparse go-md2man liblzma-dev libc6-dev linux-source-6.1 file libmicrohttpd-dev
perl libcurl4-openssl-dev libssl-dev"
# test: real clients and tools, the guest kernel and QEMU, etcd and
# openssl (the cluster tests' 3-member etcd and their own CA), strace
# (system call failures injected into the real CLI), dkms (the installed
# DKMS source built against the installed headers)
TEST="iproute2 ethtool dnsutils socat curl wrk jq python3 kmod cpio
xz-utils busybox-static qemu-system-x86 linux-image-amd64 procps psmisc
util-linux bash-completion python3-prometheus-client etcd-server etcd-client
openssl strace dkms"
# benchmarks (make bench, its smoke test): plots, libxdp's loader and its
# dispatcher objects (copied into the test guest for 2), the nginx
# baseline of the socket tier, column(1); memcached behind the kv cache
# (tests and benchmark) and its conformance tool memccapable
BENCH="gnuplot-nox xdp-tools libxdp1 nginx bsdextrautils binutils
memcached libmemcached-tools"

missing=""
for p in $BUILD $TEST $BENCH; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	     grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "kfaas: missing packages:$missing" >&2
	echo "kfaas: run tools/deps.sh as root to install them" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "kfaas: missing packages:$missing" >&2
	echo "kfaas: installing them needs root: sudo tools/deps.sh" >&2
	exit 1
fi
echo "kfaas: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# No package installed here may start or enable a service: nginx is only
# the benchmark's baseline (run on its own config in a network namespace),
# etcd only the cluster tests' (their own members on their own ports),
# and a fresh machine must not be left serving port 80 or 2379.  policy-rc.d (see
# /usr/share/doc/init-system-helpers/README.policy-rc.d.gz) tells
# invoke-rc.d and deb-systemd-invoke to start nothing during the install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# kfaas tools/deps.sh: start no service\nexit 101\n' \
		>/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
for svc in nginx:nginx etcd:etcd-server memcached:memcached; do
	case " $missing " in
	*" ${svc#*:} "*)
		if command -v systemctl >/dev/null; then
			systemctl disable "${svc%%:*}" >/dev/null 2>&1 || true
		fi
		echo "kfaas: installed ${svc#*:} for the tests, service ${svc%%:*} not started and not enabled"
		;;
	esac
done

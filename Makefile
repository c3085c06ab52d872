# SPDX-License-Identifier: GPL-2.0
#
# kfaas: function-as-a-service on the Linux network path.
#
#   make            BPF objects, skeletons, the kfaas CLI, kfaasd and its
#                   guest image, examples, tests, kfaas.ko for KVER
#                   (default: Debian's 6.1 headers)
#   make kmod       kfaas.ko only (KVER=..., KDIR=... to pick the kernel)
#   make check-kmod-debug  the kfaas.ko suite under the debug kernel
#                   given by DEBUG_KERNEL_DIR=DIR (docs/module.md)
#   make check-debug  its full reliability runs there (docs/reliability.md)
#   make soak-kmod  the same full runs in Debian's stock kernel
#   make demo       the XDP tier end to end in a veth/netns sandbox
#   make demo-cluster  three nodes on etcd: an apply, a failover, the
#                   cluster-wide counters (docs/cluster.md)
#   make check      every test (KTAP), installs missing dependencies first
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS each (60)
#   make soak       long runs of the reliability tests (docs/reliability.md)
#   make bench      benchmarks side by side -> results/ (docs/performance.md)
#   make bench-smoke  the benchmark machinery in seconds (no timings judged)
#   make clean
#
# All outputs go to $(BUILD) (default build/), never into the source tree.

BUILD		?= build
CC		?= gcc
CLANG		?= clang
BPFTOOL		?= bpftool
VMLINUX_BTF	?= /sys/kernel/btf/vmlinux
ARCH		:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION		:= 0.1

ifeq ($(origin CC),default)
CC		:= gcc
endif

B		:= $(abspath $(BUILD))
# check, demo and bench build on every CPU unless make was given its own -j
JOBS		?= $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))
VM_DIR		?= $(B)/vm

# ---- BPF programs -----------------------------------------------------------
BPF_INC		:= -I$(B) -Iinclude -Ibpf
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall \
		   -Wno-unused-function $(BPF_INC) $(EXTRA_BPF_CFLAGS)

BPF_CORE	:= dispatcher xdp_pass sk_dispatch
BPF_EXAMPLES	:= echo upper kv dns http kvtcp lineecho hello
BPF_OBJS	:= $(BPF_CORE:%=$(B)/bpf/%.bpf.o) \
		   $(BPF_EXAMPLES:%=$(B)/bpf/%.bpf.o)
# the kv cache's server-side hooks: inside kfaas-kv (its skeleton)
BPF_HOOKS	:= $(B)/bpf/kv_hooks.bpf.o
SKELS		:= $(B)/dispatcher.skel.h $(B)/sk_dispatch.skel.h

# ---- userspace --------------------------------------------------------------
# Public headers: include/kfaas/ (the ABI) and user/include/ (libkfaas's
# API).  user/lib/'s private headers are the library's own: its sources
# include them from their own directory, nothing else sees them.
PKGS		:= libbpf json-c yaml-0.1 libcurl libcrypto
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -ljson-c -lcurl -lcrypto)
CFLAGS		?= -O2 -g
USER_CFLAGS	:= $(CFLAGS) -std=gnu11 -Wall -Wextra -Wno-missing-field-initializers \
		   -Wno-unused-parameter -D_GNU_SOURCE -MMD -MP \
		   -Iinclude -Iuser/include -I$(B) $(PKG_CFLAGS) \
		   -DKFAAS_VM_DIR_DEFAULT='"$(VM_DIR)"' \
		   -DKFAAS_VERSION='"$(VERSION)"' $(EXTRA_CFLAGS)
USER_LIBS	:= $(PKG_LIBS) -lelf -lz -lpthread -lm $(EXTRA_LDFLAGS)

LIB_SRCS	:= $(wildcard user/lib/*.c)
LIB_OBJS	:= $(LIB_SRCS:%.c=$(B)/%.o)
LIB		:= $(B)/libkfaas.a
CLI_SRCS	:= $(wildcard user/cli/*.c)
CLI_OBJS	:= $(CLI_SRCS:%.c=$(B)/%.o)
CLI		:= $(B)/kfaas
EX_TOOLS	:= $(B)/kfaas-kv $(B)/kfaas-dns $(B)/kfaas-http

SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer

# ---- the VM tier: kfaasd, the guest agent and image, VM functions ----------
KFAASD_SRCS	:= $(wildcard user/kfaasd/*.c)
KFAASD_OBJS	:= $(KFAASD_SRCS:%.c=$(B)/%.o)
KFAASD		:= $(B)/kfaasd
AGENT		:= $(B)/vm/kfaas-agent
GUEST_IMG	:= $(B)/vm/guest.cpio
# static executables: the guest has no shared libraries
STATIC_CFLAGS	:= -static -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iinclude \
		   -Iuser/include -Iuser/vmfn
VMFN_SRCS	:= $(wildcard user/vmfn/*.c)
VMFNS		:= $(VMFN_SRCS:user/vmfn/%.c=$(B)/vmfn/%)
TEST_VMFNS	:= $(patsubst tests/vm/fn/%.c,$(B)/tests/vm/fn/%,$(wildcard tests/vm/fn/*.c))
TEST_BPF	:= $(patsubst tests/vm/fn/%.bpf.c,$(B)/tests/vm/fn/%.bpf.o,$(wildcard tests/vm/fn/*.bpf.c))
TEST_VMFNS	:= $(filter-out %.bpf,$(TEST_VMFNS))

TEST_C		:= $(wildcard tests/unit/*.c tests/prog/*.c tests/vm/*.c tests/e2e/*.c)
TEST_BINS	:= $(TEST_C:%.c=$(B)/%)
TEST_BPF	+= $(patsubst tests/bpf/%.bpf.c,$(B)/tests/bpf/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
# the links of the chain tests: tag_a appends "a" and its place, ...
TEST_BPF	+= $(foreach t,a b c abc,$(B)/tests/bpf/tag_$(t).bpf.o \
		   $(B)/tests/bpf/otag_$(t).bpf.o)


# ---- kfaas.ko (kmod/, top-level Kbuild) -------------------------------------
# Built out of tree in $(B)/kmod/$(KVER)/ with module BTF (kmod/build.sh).
KVER		?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | \
		     sed 's|.*/linux-headers-||' | sort -V | tail -1)
KMOD_OUT	:= $(B)/kmod/$(KVER)
KMOD		:= $(KMOD_OUT)/kfaas.ko
KMOD_SRCS	:= Kbuild $(wildcard kmod/*.c kmod/*.h include/kfaas/*.h) \
		   kmod/build.sh kmod/tools.sh kmod/vmlinux-btf.sh
# Programs the module tests run inside the guest (tests/kmod/guest/).
KGUEST_C	:= $(wildcard tests/kmod/guest/*.c)
KGUEST_C	:= $(filter-out %.bpf.c,$(KGUEST_C))
KGUEST_BINS	:= $(KGUEST_C:tests/kmod/guest/%.c=$(B)/kmod-guest/%)
KGUEST_BPF	:= $(B)/kmod-guest/kf_test.bpf.o
KGUEST_SKEL	:= $(B)/kmod-guest/kf_test.skel.h

.PHONY: all bpf user vm tests check demo demo-cluster deps clean help asan fuzz fuzz-build \
	man install uninstall bench bench-smoke bench-tools kmod kmod-guest \
	check-kmod-debug check-debug soak soak-kmod
all: bpf user vm tests bench-tools kmod kmod-guest

help:
	@sed -n '3,20p' Makefile | sed 's/^# \{0,1\}//'

# ---- rules ------------------------------------------------------------------
$(B)/vmlinux.h:
	@mkdir -p $(@D)
	@test -r $(VMLINUX_BTF) || { echo "kfaas: $(VMLINUX_BTF) is missing:" \
		"the kernel must have CONFIG_DEBUG_INFO_BTF" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h include/kfaas/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/bpf/%.bpf.o: bpf/examples/%.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h bpf/examples/*.h include/kfaas/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Ibpf/examples -c $< -o $@

$(B)/%.skel.h: $(B)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

bpf: $(BPF_OBJS) $(BPF_HOOKS) $(SKELS)

$(B)/user/%.o: user/%.c $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(CLI): $(CLI_OBJS) $(LIB)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

# The CLI of the crash tests (tests/cli/test_crash.sh): the library's files
# that hold crash points (kfaas__crash_point(), user/lib/internal.h)
# compiled again with them on.  Only this build dies where $$KFAAS_CRASH_AT
# says; the kfaas that is installed ignores it.
CRASH_SRCS	:= $(shell grep -lE 'kfaas__(crash|fail)_point' $(LIB_SRCS))
CRASH_OBJS	:= $(CRASH_SRCS:%.c=$(B)/crash/%.o)
CRASH_LIB	:= $(B)/crash/libkfaas.a
CRASH_CLI	:= $(B)/crash/kfaas

$(B)/crash/user/%.o: user/%.c $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -DKFAAS_CRASH_POINTS -c $< -o $@

$(CRASH_LIB): $(filter-out $(CRASH_SRCS:%.c=$(B)/%.o),$(LIB_OBJS)) $(CRASH_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(CRASH_CLI): $(CLI_OBJS) $(CRASH_LIB)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

$(B)/bpf/examples/%.o: bpf/examples/%.c $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Ibpf/examples -c $< -o $@

$(B)/kfaas-%: $(B)/bpf/examples/%.o $(LIB)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

# kfaas-kv attaches the kv cache's hooks from their skeleton
$(B)/bpf/examples/kv_attach.o: $(B)/kv_hooks.skel.h
$(B)/kfaas-kv: $(B)/bpf/examples/kv.o $(B)/bpf/examples/kv_attach.o $(LIB)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

user: $(CLI) $(EX_TOOLS)

$(KFAASD): $(KFAASD_OBJS) $(LIB)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS) -llzma -lmicrohttpd -lsystemd

# the agent links no library: the libkfaas files it needs (libc only) are
# compiled in
AGENT_SRCS	:= user/agent/agent.c user/agent/resident.c user/lib/agent_proto.c user/lib/iobuf.c
# AGENT_SAN=1 (make asan): the agent with ASan+UBSan, dynamically linked
# (ASan cannot be static), its libraries copied into the guest image
# (and started by a static /init that mounts /proc first)
AGENT_INIT	:= $(B)/vm/kfaas-init
ifeq ($(AGENT_SAN),1)
AGENT_CFLAGS	:= $(filter-out -static,$(STATIC_CFLAGS)) -O1 -g $(SAN_FLAGS) \
		   -DKFAAS_AGENT_SANITIZE
IMG_FLAGS	:= -l -i $(AGENT_INIT)
IMG_DEPS	:= $(AGENT_INIT)
else
AGENT_CFLAGS	:= $(STATIC_CFLAGS)
endif
$(AGENT): $(AGENT_SRCS) include/kfaas/agent_proto.h include/kfaas/agent.h \
		include/kfaas/resident.h user/agent/agent.h \
		$(wildcard user/include/*.h)
	@mkdir -p $(@D)
	$(CC) $(AGENT_CFLAGS) -o $@ $(AGENT_SRCS)

$(AGENT_INIT): user/agent/asan-init.c
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -o $@ $<

# the base guest image: agent as /init + the guest kernel's virtio modules
$(GUEST_IMG): $(AGENT) $(IMG_DEPS) tools/mkinitramfs-vm.sh
	tools/mkinitramfs-vm.sh -a $(AGENT) -o $@ $(IMG_FLAGS)

$(B)/vmfn/%: user/vmfn/%.c user/vmfn/kfaas_resident.h include/kfaas/resident.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -o $@ $<

$(B)/tests/vm/fn/%.bpf.o: tests/vm/fn/%.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h include/kfaas/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/tests/vm/fn/%: tests/vm/fn/%.c user/vmfn/kfaas_resident.h include/kfaas/resident.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -o $@ $<

vm: $(KFAASD) $(GUEST_IMG) $(VMFNS)

$(B)/tests/%: tests/%.c $(LIB) tests/ktap.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itests -Ibpf/examples -o $@ $< $(LIB) $(USER_LIBS)

$(B)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h include/kfaas/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/tests/bpf/tag_%.bpf.o: tests/bpf/chain_tag.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h include/kfaas/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DTAGS='"$*"' -c $< -o $@
# ... writing over the payload (the length stays): for repeated runs
$(B)/tests/bpf/otag_%.bpf.o: tests/bpf/chain_tag.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h include/kfaas/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DTAGS='"$*"' -DTAG_OVERWRITE -c $< -o $@

# The etcd client's scenarios, run by tests/cluster/test_etcd.sh (which owns
# the etcd cluster): out of the test_* names tests/run.sh runs by itself.
CLUSTER_TEST	:= $(B)/tests/cluster/bin/test_etcd
$(CLUSTER_TEST): tests/cluster/test_etcd.c $(LIB) tests/ktap.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itests -Iuser/lib -o $@ $< $(LIB) $(USER_LIBS)

tests: $(TEST_BINS) $(TEST_VMFNS) $(TEST_BPF) $(CLUSTER_TEST) $(CRASH_CLI)

# libFuzzer targets (tests/fuzz/fuzz_*.c) over the parsers in user/lib,
# built with clang, coverage and ASan/UBSan.  `make fuzz` runs each for
# FUZZ_SECONDS with its corpus under results/fuzz/.
FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS	:= $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_LIB	:= user/lib/frame.c user/lib/route.c user/lib/registry.c \
		   user/lib/stats.c user/lib/globals.c user/lib/module.c \
		   user/lib/budget.c user/lib/guard.c user/lib/port_routes.c user/lib/split.c \
		   user/lib/chain.c \
		   user/lib/err.c user/lib/conf.c \
		   user/lib/conf_emit.c user/lib/labels.c user/lib/keepalive.c \
		   user/lib/ctlproto.c user/lib/hex.c user/lib/agent_proto.c \
		   user/lib/iobuf.c user/lib/lifecycle_hist.c \
		   user/lib/lifecycle_policy.c user/lib/lifecycle_trace.c \
		   user/lib/logs.c user/lib/logs_ring.c user/lib/pin.c
# kfaasd files a target drives (with its own struct kfaasd_opts opts)
FUZZ_EXTRA_fuzz_qmp := user/kfaasd/qmp.c user/kfaasd/loop.c user/kfaasd/log.c


FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_DEFS	:= -g -O1 -D_GNU_SOURCE -Iinclude -Iuser/include -DKFAAS_VERSION='"$(VERSION)"'
FUZZ_CFLAGS	:= $(FUZZ_DEFS) -fsanitize=fuzzer $(FUZZ_SAN)
FUZZ_SECONDS	?= 60
# The library is compiled once, instrumented but without libFuzzer's
# main, into an archive every target links; a target's kfaasd files too.
fuzz_obj	= $(patsubst %.c,$(B)/fuzz/obj/%.o,$(1))
FUZZ_OBJS	:= $(call fuzz_obj,$(FUZZ_LIB) $(FUZZ_EXTRA_fuzz_qmp))

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_DEFS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -MMD -MP -c -o $@ $<

-include $(FUZZ_OBJS:.o=.d)

$(B)/fuzz/libkfaas-fuzz.a: $(call fuzz_obj,$(FUZZ_LIB))
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz/fuzz_qmp: $(call fuzz_obj,$(FUZZ_EXTRA_fuzz_qmp))
$(B)/fuzz/%: tests/fuzz/%.c $(B)/fuzz/libkfaas-fuzz.a
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -MMD -MP -MF $(B)/fuzz/obj/$*.d -o $@ $< $(call fuzz_obj,$(FUZZ_EXTRA_$*)) \
		$(B)/fuzz/libkfaas-fuzz.a $(PKG_LIBS) -lelf -lz -lyaml -lm

-include $(FUZZ_BINS:$(B)/fuzz/%=$(B)/fuzz/obj/%.d)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@for t in $(FUZZ_BINS); do \
		n=$$(basename $$t); mkdir -p results/fuzz/$$n; \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -max_len=2048 \
			-print_final_stats=1 results/fuzz/$$n \
			$$([ -d tests/fuzz/corpus/$$n ] && echo tests/fuzz/corpus/$$n) \
			|| exit 1; \
	done
	FRAMES=10000000 $(B)/tests/prog/test_frames

# The same userspace and tests built with ASan and UBSan (tests/asan/),
# kfaasd and the guest agent (in its own guest image) included.
asan:
	$(MAKE) BUILD=$(B)/asan EXTRA_CFLAGS="$(SAN_FLAGS)" \
		EXTRA_LDFLAGS="$(SAN_FLAGS)" AGENT_SAN=1 bpf user tests \
		$(B)/asan/kfaasd $(B)/asan/vm/guest.cpio $(B)/asan/tools/kfaas-tracegen
# ---- benchmarks (tools/bench/) ----------------------------------------------
BENCH_BPF	:= bare_echo bare_tx xdp_drop chain1 chain10 exp_parse exp_tail echo_noacct \
		   exp_disp_hash exp_disp_port xsk_redirect echo_log echo_log_all \
		   $(foreach i,1 2 3 4 5 6 7 8 9 10,port$(i)) \
		   $(foreach t,a b c abc,otag_$(t))
BENCH_OBJS	:= $(BENCH_BPF:%=$(B)/bench/bpf/%.bpf.o)
BENCH_BINS	:= $(B)/bench/kfaas-bench $(B)/bench/udpload $(B)/bench/udpsrv \
		   $(B)/bench/uringsrv $(B)/bench/xskload $(B)/bench/lcreplay $(B)/tools/kfaas-tracegen \
		   $(B)/bench/rtcall
BENCH_DEPS	:= $(B)/vmlinux.h $(wildcard bpf/*.h include/kfaas/*.h)

$(B)/bench/bpf/%.bpf.o: tools/bench/bpf/%.bpf.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/bench/bpf/chain%.bpf.o: tools/bench/bpf/chain.bpf.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DCHAIN_N=$* -c $< -o $@

# the dispatcher without what issue 16 changed, to measure what each bought
$(B)/bench/bpf/exp_disp_hash.bpf.o: bpf/dispatcher.bpf.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DKFAAS_EXP_HASH_ROUTES -DKFAAS_EXP_INDIRECT -c $< -o $@
$(B)/bench/bpf/exp_disp_port.bpf.o: bpf/dispatcher.bpf.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DKFAAS_EXP_INDIRECT -c $< -o $@
# echo with kfaas_log(), its rate limit off: every call reaches the ring
$(B)/bench/bpf/echo_log_all.bpf.o: tools/bench/bpf/echo_log.bpf.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DKFAAS_LOG_RATE=1000000000 \
		-DKFAAS_LOG_BURST=1000000000 -c $< -o $@

# the chain item's links (tests/bpf/chain_tag.bpf.c), writing over the payload
$(B)/bench/bpf/otag_%.bpf.o: tests/bpf/chain_tag.bpf.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DTAGS='"$*"' -DTAG_OVERWRITE -c $< -o $@

# the bare echo answering only UDP port 7000+N: one libxdp program each
$(B)/bench/bpf/port%.bpf.o: tools/bench/bpf/bare_echo.bpf.c $(BENCH_DEPS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DBENCH_PORT=$$((7000 + $*)) -c $< -o $@

$(B)/bench/kfaas-bench: tools/bench/kfaas-bench.c tools/bench/measure.c \
		tools/bench/bench_logs.c tools/bench/bench.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -DKFAAS_BENCH_BPF_DIR='"$(B)/bench/bpf"' \
		-DKFAAS_BPF_DIR='"$(B)/bpf"' \
		-o $@ tools/bench/kfaas-bench.c tools/bench/measure.c \
		tools/bench/bench_logs.c $(LIB) $(USER_LIBS) -lm

$(B)/bench/udpsrv: tools/bench/udpsrv.c tools/bench/kvserve.h tools/bench/kvgen.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< $(PKG_LIBS) -lm

# the io_uring server beside it (liburing-dev: tools/deps.sh)
$(B)/bench/uringsrv: tools/bench/uringsrv.c tools/bench/kvserve.h tools/bench/kvgen.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< -luring

# the two load generators share loadgen.c (requests, checks, report)
$(B)/bench/udpload: tools/bench/udpload.c tools/bench/loadgen.c \
		tools/bench/loadgen.h tools/bench/kvgen.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< tools/bench/loadgen.c $(PKG_LIBS) -lm

# the chain item's client: one request at a time through 1 or more routes
$(B)/bench/rtcall: tools/bench/rtcall.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $<

$(B)/bench/xsk_redirect.skel.h: $(B)/bench/bpf/xsk_redirect.bpf.o
	$(BPFTOOL) gen skeleton $< name xsk_redirect_bpf > $@.tmp && mv $@.tmp $@

$(B)/bench/xskload: tools/bench/xskload.c tools/bench/loadgen.c \
		tools/bench/loadgen.h tools/bench/kvgen.h $(B)/bench/xsk_redirect.skel.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -I$(B)/bench -o $@ $< tools/bench/loadgen.c \
		$(USER_LIBS) -lm

# a trace replayed through kfaasd (item 11), read by libkfaas' trace reader
$(B)/bench/lcreplay: tools/bench/lcreplay.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< $(LIB) $(USER_LIBS)

# the Azure Functions 2019 trace's format, generated (docs/lifecycle.md)
$(B)/tools/kfaas-tracegen: tools/tracegen/kfaas-tracegen.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $< -lm

bench-tools: $(BENCH_OBJS) $(BENCH_BINS)

bench: deps
	$(MAKE) $(JOBS) all
	tools/bench/run.sh --build $(B) $(BENCH_ARGS)

bench-smoke: deps
	$(MAKE) all
	tools/bench/run.sh --build $(B) --smoke --out $(B)/bench-smoke $(BENCH_ARGS)

kmod: $(KMOD)

$(KMOD): $(KMOD_SRCS)
	@test -n "$(KVER)" || { echo "kfaas: no kernel headers: install" \
		"linux-headers-amd64 (tools/deps.sh) or set KVER/KDIR" >&2; exit 1; }
	+KVER=$(KVER) $(if $(KDIR),KDIR=$(KDIR)) KTOOLS=$(B)/kmod/tools \
		kmod/build.sh $(KMOD_OUT)

$(KGUEST_BPF): tests/kmod/guest/kf_test.bpf.c tests/kmod/guest/kf_test.h $(B)/vmlinux.h \
		$(wildcard include/kfaas/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(KGUEST_SKEL): $(KGUEST_BPF)
	$(BPFTOOL) gen skeleton $< name kf_test_bpf > $@.tmp && mv $@.tmp $@

$(B)/kmod-guest/%: tests/kmod/guest/%.c $(LIB) $(KGUEST_SKEL) tests/ktap.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itests -I$(B)/kmod-guest -o $@ $< $(LIB) $(USER_LIBS) -lpthread

kmod-guest: $(KGUEST_BINS) $(KGUEST_BPF)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- man pages (generated from docs/ with go-md2man) -------------------------
# NAME.SECTION:SOURCE
MAN_PAGES	:= kfaas.8:docs/cli.md kfaasd.8:docs/kfaasd.md kfaas-sdk.7:docs/sdk.md \
		   kfaas.conf.5:docs/config.md
MAN_OUT		:= $(foreach p,$(MAN_PAGES),$(B)/man/$(firstword $(subst :, ,$(p))))
man_src		= $(lastword $(subst :, ,$(filter $(1):%,$(MAN_PAGES))))

$(B)/man/%: tools/man.sh $(wildcard docs/*.md)
	@mkdir -p $(@D)
	tools/man.sh $(call man_src,$*) $@

man: $(MAN_OUT)

# ---- install ----------------------------------------------------------------
PREFIX		?= /usr/local
DESTDIR		?=
BINDIR		:= $(PREFIX)/bin
SBINDIR		:= $(PREFIX)/sbin
KFAAS_LIBDIR	:= $(PREFIX)/lib/kfaas
INCDIR		:= $(PREFIX)/include/kfaas
MANDIR		:= $(PREFIX)/share/man
COMPDIR		:= $(PREFIX)/share/bash-completion/completions
UNITDIR		?= $(PREFIX)/lib/systemd/system
# DKMS looks in /usr/src whatever PREFIX is
DKMSDIR		?= /usr/src/kfaas-$(VERSION)
DKMS_SRC	:= Kbuild dkms.conf $(wildcard kmod/*.c kmod/*.h kmod/*.sh) \
		   $(wildcard include/kfaas/*.h)
SDK_HEADERS	:= bpf/kfaas.h bpf/kfaas_sk.h bpf/kfaas_maps.h bpf/kfaas_parse.h \
		   bpf/kfaas_csum.h bpf/kfaas_budget.h bpf/kfaas_guard.h \
		   bpf/kfaas_log.h bpf/kfaas_log_sk.h bpf/kfaas_chain.h \
		   include/kfaas/abi.h include/kfaas/bucket.h include/kfaas/kfuncs.h \
		   include/kfaas/log.h include/kfaas/resident.h user/vmfn/kfaas_resident.h
INSTALLED	:= $(BINDIR)/kfaas $(addprefix $(BINDIR)/,$(notdir $(EX_TOOLS))) \
		   $(SBINDIR)/kfaasd $(KFAAS_LIBDIR)/vm/guest.cpio \
		   $(KFAAS_LIBDIR)/vm/guest.cpio.kver \
		   $(addprefix $(KFAAS_LIBDIR)/vmfn/,$(notdir $(VMFNS))) \
		   $(UNITDIR)/kfaasd.service \
		   $(addprefix $(DKMSDIR)/,$(DKMS_SRC)) \
		   $(addprefix $(COMPDIR)/,$(notdir $(EX_TOOLS))) \
		   $(addprefix $(KFAAS_LIBDIR)/bpf/,$(notdir $(BPF_OBJS))) \
		   $(addprefix $(INCDIR)/,$(notdir $(SDK_HEADERS))) \
		   $(COMPDIR)/kfaas $(UNITDIR)/kfaas-attach@.service \
		   $(foreach m,$(notdir $(MAN_OUT)),$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(m))

install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(KFAAS_LIBDIR)/bpf $(DESTDIR)$(INCDIR) \
		$(DESTDIR)$(COMPDIR) $(DESTDIR)$(UNITDIR)
	install -m 0755 $(CLI) $(EX_TOOLS) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(KFAAS_LIBDIR)/vm \
		$(DESTDIR)$(KFAAS_LIBDIR)/vmfn
	install -m 0755 $(KFAASD) $(DESTDIR)$(SBINDIR)/
	for f in $(DKMS_SRC); do \
		install -D -m 0644 $$f $(DESTDIR)$(DKMSDIR)/$$f; \
	done
	chmod 0755 $(DESTDIR)$(DKMSDIR)/kmod/*.sh
	install -m 0644 $(GUEST_IMG) $(GUEST_IMG).kver $(DESTDIR)$(KFAAS_LIBDIR)/vm/
	install -m 0755 $(VMFNS) $(DESTDIR)$(KFAAS_LIBDIR)/vmfn/
	sed 's|@SBINDIR@|$(SBINDIR)|g' tools/systemd/kfaasd.service \
		> $(DESTDIR)$(UNITDIR)/kfaasd.service
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(KFAAS_LIBDIR)/bpf/
	install -m 0644 $(SDK_HEADERS) $(DESTDIR)$(INCDIR)/
	install -m 0644 tools/completion/kfaas $(DESTDIR)$(COMPDIR)/kfaas
	for t in $(notdir $(EX_TOOLS)); do ln -sf kfaas $(DESTDIR)$(COMPDIR)/$$t; done
	sed 's|@BINDIR@|$(BINDIR)|g' tools/systemd/kfaas-attach@.service \
		> $(DESTDIR)$(UNITDIR)/kfaas-attach@.service
	for m in $(MAN_OUT); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DKMSDIR)/kmod $(DESTDIR)$(DKMSDIR)/include/kfaas \
		$(DESTDIR)$(DKMSDIR)/include $(DESTDIR)$(DKMSDIR) 2>/dev/null
	-rmdir $(DESTDIR)$(KFAAS_LIBDIR)/bpf $(DESTDIR)$(KFAAS_LIBDIR)/vm \
		$(DESTDIR)$(KFAAS_LIBDIR)/vmfn $(DESTDIR)$(KFAAS_LIBDIR) \
		$(DESTDIR)$(INCDIR) 2>/dev/null

# ---- the two commands of README --------------------------------------------
deps:
	@tools/deps.sh

demo: deps
	$(MAKE) $(JOBS) all
	tools/demo.sh $(B)

demo-cluster: deps
	$(MAKE) $(JOBS) all
	tools/demo-cluster.sh $(B)

check: deps
	$(MAKE) $(JOBS) all man asan fuzz-build
	tests/run.sh $(B)

# Long runs of the reliability smokes of make check (docs/reliability.md):
# SOAK_HTTP_CONNS random/mutated HTTP connections through the socket tier,
# kill -9 of the sanitizer kfaasd among SOAK_INVOCATIONS invocations.
SOAK_HTTP_CONNS	?= 20000
SOAK_INVOCATIONS ?= 10000
soak: deps
	$(MAKE) all asan
	B=$(B) HTTP_FUZZ_CONNS=$(SOAK_HTTP_CONNS) HTTP_FUZZ_SEED=$$(date +%s) \
		TEST_TIMEOUT=3600 tests/sk/test_http_fuzz.sh
	B=$(B) RELIABILITY_INVOCATIONS=$(SOAK_INVOCATIONS) tests/vm/test_reliability.sh

# The kmod suite under the debug kernel (KASAN, lockdep, kmemleak, fault
# injection): slow under TCG, so not part of check.  docs/module.md, "Tests".
#   check-kmod-debug  the suite with make check's smoke sizes (~10 min)
#   check-debug       the full reliability runs of docs/reliability.md:
#                     10^6 random ioctls, 10^7 invocations, 1000 cycles,
#                     fail-nth, failslab (10-17 min on a quiet machine,
#                     hours at load 20+: docs/reliability.md section 7)
#   soak-kmod         the same full sizes in Debian's stock kernel (no fault
#                     injection, no kmemleak; ~8 min)
#   DEBUG_KERNEL_DIR  (environment or command line, no default) the debug
#                     kernel: a directory with its bzImage and its build
#                     tree as linux-build-KVER.tar.xz (docs/module.md)
KMOD_FULL	:= KMOD_IOCTLS=1000000 KMOD_INVOCATIONS=10000000 KMOD_CYCLES=1000 \
		   KMOD_FULL_EVERY=100 KMOD_FAILSLAB=10 KMOD_PROG_TIMEOUT=5400
# $(call kmod_debug,ENV,TIMEOUT): the suite in the debug kernel
define kmod_debug
	@test -n "$(DEBUG_KERNEL_DIR)" || { echo "kfaas: 'make $@' needs a" \
		"debug kernel: set DEBUG_KERNEL_DIR to a directory with its" \
		"bzImage and linux-build-KVER.tar.xz (docs/module.md, Tests)" >&2; \
		exit 1; }
	@test -r "$(DEBUG_KERNEL_DIR)/bzImage" || { echo "kfaas: no bzImage" \
		"in DEBUG_KERNEL_DIR=$(DEBUG_KERNEL_DIR)" >&2; exit 1; }
	@mkdir -p $(B)/kernels
	@tarball=$$(ls "$(DEBUG_KERNEL_DIR)"/linux-build-*.tar.xz 2>/dev/null | head -1); \
	[ -n "$$tarball" ] || { echo "kfaas: no linux-build-KVER.tar.xz in" \
		"DEBUG_KERNEL_DIR=$(DEBUG_KERNEL_DIR)" >&2; exit 1; }; \
	tree=$(B)/kernels/$$(basename "$$tarball" .tar.xz); \
	[ -d "$$tree" ] || tar -xJf "$$tarball" -C $(B)/kernels || exit 1; \
	kver=$${tree##*/linux-build-}; \
	$(MAKE) all kmod KVER=$$kver KDIR=$$tree && \
	B=$(B) KVER=$$kver KERNEL=$(abspath $(DEBUG_KERNEL_DIR))/bzImage \
		VM_TIMEOUT=$(2) $(1) tests/kmod/test_kmod.sh
endef

check-kmod-debug: deps
	$(call kmod_debug,,2400)

check-debug: deps
	$(call kmod_debug,$(KMOD_FULL),7200)

soak-kmod: deps
	$(MAKE) all
	B=$(B) VM_TIMEOUT=3600 $(KMOD_FULL) tests/kmod/test_kmod.sh

clean:
	rm -rf $(B)

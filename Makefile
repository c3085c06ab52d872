# SPDX-License-Identifier: GPL-2.0
#
# kfaas: function-as-a-service on the Linux network path.
#
#   make            BPF objects, skeletons, the kfaas CLI, kfaasd and its
#                   guest image, examples, tests
#   make demo       the XDP tier end to end in a veth/netns sandbox
#   make check      every test (KTAP), installs missing dependencies first
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
BPF_DIR		?= $(B)/bpf
VM_DIR		?= $(B)/vm

# ---- BPF programs -----------------------------------------------------------
BPF_INC		:= -I$(B) -Iinclude -Ibpf
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall \
		   -Wno-unused-function $(BPF_INC) $(EXTRA_BPF_CFLAGS)

BPF_CORE	:= dispatcher xdp_pass
BPF_EXAMPLES	:= echo upper kv dns
BPF_OBJS	:= $(BPF_CORE:%=$(B)/bpf/%.bpf.o) \
		   $(BPF_EXAMPLES:%=$(B)/bpf/%.bpf.o)
SKELS		:= $(B)/dispatcher.skel.h

# ---- userspace --------------------------------------------------------------
PKGS		:= libbpf json-c
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -ljson-c)
CFLAGS		?= -O2 -g
USER_CFLAGS	:= $(CFLAGS) -std=gnu11 -Wall -Wextra -Wno-missing-field-initializers \
		   -Wno-unused-parameter -D_GNU_SOURCE -MMD -MP \
		   -Iinclude -Iuser/lib -Iuser/cli -I$(B) $(PKG_CFLAGS) \
		   -DKFAAS_BPF_DIR_DEFAULT='"$(BPF_DIR)"' \
		   -DKFAAS_VM_DIR_DEFAULT='"$(VM_DIR)"' \
		   -DKFAAS_VERSION='"$(VERSION)"' $(EXTRA_CFLAGS)
USER_LIBS	:= $(PKG_LIBS) -lelf -lz $(EXTRA_LDFLAGS)

LIB_SRCS	:= $(wildcard user/lib/*.c)
LIB_OBJS	:= $(LIB_SRCS:%.c=$(B)/%.o)
LIB		:= $(B)/libkfaas.a
CLI_SRCS	:= $(wildcard user/cli/*.c)
CLI_OBJS	:= $(CLI_SRCS:%.c=$(B)/%.o)
CLI		:= $(B)/kfaas
EX_TOOLS	:= $(B)/kfaas-kv $(B)/kfaas-dns

# ---- the VM tier: kfaasd, the guest agent and image, VM functions ----------
KFAASD_SRCS	:= $(wildcard user/kfaasd/*.c)
KFAASD_OBJS	:= $(KFAASD_SRCS:%.c=$(B)/%.o)
KFAASD		:= $(B)/kfaasd
AGENT		:= $(B)/vm/kfaas-agent
GUEST_IMG	:= $(B)/vm/guest.cpio
# static executables: the guest has no shared libraries
STATIC_CFLAGS	:= -static -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iinclude
VMFN_SRCS	:= $(wildcard user/vmfn/*.c)
VMFNS		:= $(VMFN_SRCS:user/vmfn/%.c=$(B)/vmfn/%)
TEST_VMFNS	:= $(patsubst tests/vm/fn/%.c,$(B)/tests/vm/fn/%,$(wildcard tests/vm/fn/*.c))
TEST_BPF	:= $(patsubst tests/vm/fn/%.bpf.c,$(B)/tests/vm/fn/%.bpf.o,$(wildcard tests/vm/fn/*.bpf.c))
TEST_VMFNS	:= $(filter-out %.bpf,$(TEST_VMFNS))

TEST_C		:= $(wildcard tests/unit/*.c tests/prog/*.c tests/vm/*.c)
TEST_BINS	:= $(TEST_C:%.c=$(B)/%)

.PHONY: all bpf user vm tests check demo deps clean help
all: bpf user vm tests

help:
	@sed -n '3,10p' Makefile | sed 's/^# \{0,1\}//'

# ---- rules ------------------------------------------------------------------
$(B)/vmlinux.h:
	@mkdir -p $(@D)
	@test -r $(VMLINUX_BTF) || { echo "kfaas: $(VMLINUX_BTF) is missing:" \
		"the kernel must have CONFIG_DEBUG_INFO_BTF" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h) include/kfaas/abi.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/bpf/%.bpf.o: bpf/examples/%.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h bpf/examples/*.h) include/kfaas/abi.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Ibpf/examples -c $< -o $@

$(B)/%.skel.h: $(B)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

bpf: $(BPF_OBJS) $(SKELS)

$(B)/user/%.o: user/%.c $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(AR) rcs $@ $^

$(CLI): $(CLI_OBJS) $(LIB)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

$(B)/bpf/examples/%.o: bpf/examples/%.c $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Ibpf/examples -c $< -o $@

$(B)/kfaas-%: $(B)/bpf/examples/%.o $(LIB)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)

user: $(CLI) $(EX_TOOLS)

$(KFAASD): $(KFAASD_OBJS) $(LIB)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS) -llzma

$(AGENT): user/agent/agent.c include/kfaas/agent.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -o $@ $<

# the base guest image: agent as /init + the guest kernel's virtio modules
$(GUEST_IMG): $(AGENT) tools/mkinitramfs-vm.sh
	tools/mkinitramfs-vm.sh -a $(AGENT) -o $@

$(B)/vmfn/%: user/vmfn/%.c
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -o $@ $<

$(B)/tests/vm/fn/%.bpf.o: tests/vm/fn/%.bpf.c $(B)/vmlinux.h $(wildcard bpf/*.h) include/kfaas/abi.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/tests/vm/fn/%: tests/vm/fn/%.c
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -o $@ $<

vm: $(KFAASD) $(GUEST_IMG) $(VMFNS)

$(B)/tests/%: tests/%.c $(LIB) tests/ktap.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itests -Ibpf/examples -o $@ $< $(LIB) $(USER_LIBS)

tests: $(TEST_BINS) $(TEST_VMFNS) $(TEST_BPF)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- the two commands of README --------------------------------------------
deps:
	@tools/deps.sh

demo: deps
	$(MAKE) all
	tools/demo.sh $(B)

check: deps
	$(MAKE) all
	tests/run.sh $(B)

clean:
	rm -rf $(B)

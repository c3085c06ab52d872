# SPDX-License-Identifier: GPL-2.0
#
# kfaas: function-as-a-service on the Linux network path.
#
#   make            BPF objects, skeletons, the kfaas CLI, examples, tests
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

# ---- BPF programs -----------------------------------------------------------
BPF_INC		:= -I$(B) -Iinclude -Ibpf
BPF_CFLAGS	:= -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall \
		   -Wno-unused-function $(BPF_INC) $(EXTRA_BPF_CFLAGS)

BPF_CORE	:= dispatcher xdp_pass sk_dispatch
BPF_EXAMPLES	:= echo upper kv dns http kvtcp lineecho
BPF_OBJS	:= $(BPF_CORE:%=$(B)/bpf/%.bpf.o) \
		   $(BPF_EXAMPLES:%=$(B)/bpf/%.bpf.o)
SKELS		:= $(B)/dispatcher.skel.h $(B)/sk_dispatch.skel.h

# ---- userspace --------------------------------------------------------------
PKGS		:= libbpf json-c
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -ljson-c)
CFLAGS		?= -O2 -g
USER_CFLAGS	:= $(CFLAGS) -std=gnu11 -Wall -Wextra -Wno-missing-field-initializers \
		   -Wno-unused-parameter -D_GNU_SOURCE -MMD -MP \
		   -Iinclude -Iuser/lib -Iuser/cli -I$(B) $(PKG_CFLAGS) \
		   -DKFAAS_BPF_DIR_DEFAULT='"$(BPF_DIR)"' \
		   -DKFAAS_VERSION='"$(VERSION)"' $(EXTRA_CFLAGS)
USER_LIBS	:= $(PKG_LIBS) -lelf -lz $(EXTRA_LDFLAGS)

LIB_SRCS	:= $(wildcard user/lib/*.c)
LIB_OBJS	:= $(LIB_SRCS:%.c=$(B)/%.o)
LIB		:= $(B)/libkfaas.a
CLI_SRCS	:= $(wildcard user/cli/*.c)
CLI_OBJS	:= $(CLI_SRCS:%.c=$(B)/%.o)
CLI		:= $(B)/kfaas
EX_TOOLS	:= $(B)/kfaas-kv $(B)/kfaas-dns $(B)/kfaas-http

TEST_C		:= $(wildcard tests/unit/*.c tests/prog/*.c)
TEST_BINS	:= $(TEST_C:%.c=$(B)/%)

.PHONY: all bpf user tests check demo deps clean help
all: bpf user tests

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

$(B)/tests/%: tests/%.c $(LIB) tests/ktap.h
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -Itests -Ibpf/examples -o $@ $< $(LIB) $(USER_LIBS)

tests: $(TEST_BINS)

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

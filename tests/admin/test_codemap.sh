#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# docs/architecture.md's code map stays true: every source file of the
# module, the BPF programs, libkfaas, the CLI, kfaasd, the agent and the
# tools is named in it, so a newcomer finds it from the map.
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
map=$top/docs/architecture.md
[ -r "$map" ] || ktap_skip_all "no docs/architecture.md"
ktap_plan 2

cd "$top" || exit 1
files=$(find include kmod bpf user tools -type f \
	\( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \) \
	-not -path '*/corpus/*' | sort)
missing=
for f in $files; do
	grep -qF "$(basename "$f")" "$map" || missing="$missing $f"
done
check "there are source files to look for ($(echo "$files" | wc -l))" \
	test "$(echo "$files" | wc -l)" -gt 100
check_eq "every source file is named in the code map of docs/architecture.md" \
	"" "${missing# }"

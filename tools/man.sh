#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A man page from a document of docs/:  tools/man.sh SOURCE.md OUT/NAME.SECTION
# The document's title is dropped, its "##" sections become the page's
# sections after NAME; go-md2man does the rest.
set -eu
src=$1 out=$2
page=$(basename "$out")
name=${page%.*} sec=${page##*.}
case $name in
kfaas)		desc="function-as-a-service on the Linux network path" ;;
kfaasd)		desc="the kfaas daemon: functions in microVMs" ;;
kfaas-sdk)	desc="writing kfaas functions" ;;
kfaas.conf)	desc="kfaas configuration file" ;;
*)		echo "tools/man.sh: no description for $name" >&2; exit 1 ;;
esac
upper=$(echo "$name" | tr a-z A-Z)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	printf '%% %s %s "" "kfaas" "kfaas manual"\n\n' "$upper" "$sec"
	printf '# NAME\n\n%s - %s\n\n' "$name" "$desc"
	sed -e '1{/^# /d}' -e 's/^## \(.*\)/# \U\1/' -e 's/^### /## /' "$src"
} > "$tmp"
go-md2man -in "$tmp" -out "$out"

#!/bin/sh
# prepare.sh prints the go flag that builds with Daoli's patch of Fyne, after making
# sure bin/fyne holds what it needs: a copy of the Fyne module with the files of
# _overlay (by their paths in the module) in place, and a go.mod and go.sum that are the repository's plus a replace of
# Fyne by that copy. README.md says what the patch does and why.
#
#   go build $(packaging/fyne/prepare.sh) ...
set -eu
want=v2.7.1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/bin/fyne
go=${GO:-go}
cd "$root"
version=$(GOFLAGS= $go list -m -f '{{.Version}}' fyne.io/fyne/v2)
if [ "$version" != "$want" ]; then
	echo "packaging/fyne patches Fyne $want but go.mod names $version: port the patch first" >&2
	exit 1
fi
stamp=$(find "$here/_overlay" -type f | sort | xargs cat go.mod go.sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
	GOFLAGS= $go mod download fyne.io/fyne/v2
	src=$(GOFLAGS= $go list -m -f '{{.Dir}}' fyne.io/fyne/v2)
	rm -rf "$out"
	mkdir -p "$out"
	cp -R "$src" "$out/v2"
	chmod -R u+w "$out/v2"
	cp -R "$here/_overlay/." "$out/v2/"
	# The replacement is relative to the module's root, so builds in different
	# directories record the same path (release builds are reproducible).
	{ cat go.mod; printf '\nreplace fyne.io/fyne/v2 => ./bin/fyne/v2\n'; } >"$out/go.mod"
	cp go.sum "$out/go.sum"
	echo "$stamp" >"$out/stamp"
fi
echo "-modfile=$out/go.mod"

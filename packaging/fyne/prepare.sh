#!/bin/sh
# prepare.sh prints the go flags that build Daoli with its idle main loop for Fyne
# (idle-loop.patch; README.md says what it does and why):
#
#   -modfile=bin/fyne/go.mod   the repository's go.mod, with Fyne replaced by
#                              bin/fyne/v2: the Fyne module go.mod names, patched
#   -ldflags=-X=…app.idleLoopFyne=VERSION   the stamp `daoli --version` reports
#
#   go build $(packaging/fyne/prepare.sh) ...
#
# The patch applies with `patch --forward --fuzz=0`: a hunk whose lines are not exactly
# the ones it was made against stops the script, naming the Fyne version, and nothing
# is built. The copy is made again only when the patch, go.mod, go.sum or this script
# change, so a second run costs one `go list`. Messages go to stderr.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/bin/fyne
diff=$here/idle-loop.patch
go=${GO:-go}
cd "$root"

fail() {
	echo "packaging/fyne/prepare.sh: $*" >&2
	exit 1
}

command -v patch >/dev/null 2>&1 ||
	fail "no patch command: install it (apt-get install patch, or packaging/build-deps.sh build)"
want=$(sed -n 's|^Fyne: fyne.io/fyne/v2 \(v[^ ]*\)$|\1|p' "$diff")
[ -n "$want" ] || fail "idle-loop.patch has no line 'Fyne: fyne.io/fyne/v2 VERSION'"
version=$(GOFLAGS= $go list -m -f '{{.Version}}' fyne.io/fyne/v2) ||
	fail "go list could not find the Fyne module go.mod names"
if [ "$version" != "$want" ]; then
	fail "idle-loop.patch was made against Fyne $want but go.mod names Fyne $version: port the patch to $version first (packaging/fyne/README.md, \"Porting to a new Fyne\")"
fi

stamp=$(cat "$diff" "$here/prepare.sh" go.mod go.sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
	src=$(GOFLAGS= $go list -m -f '{{.Dir}}' fyne.io/fyne/v2)
	if [ -z "$src" ]; then
		GOFLAGS= $go mod download fyne.io/fyne/v2
		src=$(GOFLAGS= $go list -m -f '{{.Dir}}' fyne.io/fyne/v2)
	fi
	[ -d "$src" ] || fail "the Fyne $version module is not in the module cache (go mod download fyne.io/fyne/v2)"
	# Made beside bin/fyne and moved into place whole, so that a failed or interrupted
	# run leaves no half-patched copy behind.
	new=$out.new.$$
	trap 'rm -rf "$new"' EXIT
	rm -rf "$new"
	mkdir -p "$new"
	cp -R "$src" "$new/v2"
	chmod -R u+w "$new/v2"
	if ! log=$(patch -d "$new/v2" -p1 --forward --fuzz=0 --batch --no-backup-if-mismatch \
		--reject-file=- -i "$diff" 2>&1); then
		printf '%s\n' "$log" >&2
		fail "packaging/fyne/idle-loop.patch does not apply to Fyne $version ($src): the lines it changes are not the ones it was made against. Port it (packaging/fyne/README.md, \"Porting to a new Fyne\"); nothing was built"
	fi
	# The replacement is relative to the module's root, so builds in different
	# directories record the same path (release builds are reproducible).
	cp go.mod "$new/go.mod"
	GOFLAGS= $go mod edit -replace=fyne.io/fyne/v2=./bin/fyne/v2 "$new/go.mod"
	cp go.sum "$new/go.sum"
	echo "$stamp" >"$new/stamp"
	# Two first runs at once (make -j, parallel tests) each make a copy; whichever
	# comes second finds bin/fyne in place with the same stamp and keeps it (a build
	# may be reading it), dropping its own copy on exit.
	if [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$out"
		mv -T "$new" "$out" 2>/dev/null || [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ] ||
			fail "could not move the patched copy into $out"
	fi
fi
echo "-modfile=$out/go.mod -ldflags=-X=github.com/daolicloud/daoli/app.idleLoopFyne=$version"

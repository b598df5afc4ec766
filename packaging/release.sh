#!/bin/sh
# Builds the release binaries of Daoli reproducibly: the same source at the same commit
# gives the same bytes, whatever the directory, the user, the clock or the build cache.
#
#   packaging/release.sh OUT     OUT/daoli, OUT/daoli-trustee and OUT/SHA256SUMS
#
# -trimpath drops the build directory from the binaries; -buildid= and -s -w drop the
# linker's build ID and the debug tables (stack traces keep their file:line, which
# come from the pcln table); -buildvcs=auto stamps the commit when the source is a git
# clone, which `daoli --version` and `daoli-trustee --version` print (node/version).
# DAOLI_ONLY=daoli-trustee builds the trustee alone (it needs no C compiler).
set -eu
out=${1:?usage: packaging/release.sh OUT}
GO=${GO:-go}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The flags are the same on every machine; GOFLAGS from the environment would change
# them (and with them the bytes), so it is cleared.
# build NAME PACKAGE LDFLAGS [FLAGS...]: LDFLAGS join the release's own linker flags.
build() {
	name=$1 pkg=$2 ld=$3
	shift 3
	GOFLAGS= $GO build -trimpath -buildvcs=auto -ldflags="-s -w -buildid= $ld" "$@" -o "$out/$name" "$pkg"
}

only=${DAOLI_ONLY:-}
if [ -z "$only" ] || [ "$only" = daoli-trustee ]; then
	# Pure Go: no C toolchain is part of the result.
	CGO_ENABLED=0 build daoli-trustee ./node/cmd/daoli-trustee ""
fi
if [ -z "$only" ] || [ "$only" = daoli ]; then
	# Fyne's window layer is C (GLFW), so the app needs cgo; the app is built as make
	# builds it, with Fyne's idle main loop (packaging/fyne) and without its emoji font.
	# prepare.sh prints "-modfile=… -ldflags=-X=…": the -X stamp (daoli --version says
	# the loop is idle) goes with the release's linker flags, since a second -ldflags
	# would replace the first.
	fyne=$(GO=$GO packaging/fyne/prepare.sh)
	modfile=${fyne%% -ldflags=*}
	stamp=${fyne#* -ldflags=}
	CGO_ENABLED=1 build daoli . "$stamp" -tags no_emoji "$modfile"
fi

cd "$out"
ls daoli daoli-trustee 2>/dev/null | xargs sha256sum > SHA256SUMS
cat SHA256SUMS

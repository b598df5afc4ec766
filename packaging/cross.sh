#!/bin/sh
# Builds Daoli for the other systems from this Linux machine (make cross):
#
#   packaging/cross.sh OUT
#     OUT/windows-amd64/daoli.exe           the desktop app and CLI: a GUI program (no
#                                           console window), cgo with MinGW-w64's gcc,
#                                           Fyne's idle main loop (packaging/fyne)
#     OUT/windows-amd64/daoli-VERSION-windows-amd64-setup.exe
#                                           its installer (NSIS, windows/daoli.nsi)
#     OUT/windows-amd64/daoli-trustee.exe   the trustee, pure Go
#     OUT/darwin-amd64/daoli-trustee        the trustee for Intel Macs
#     OUT/darwin-arm64/daoli-trustee        the trustee for Apple silicon
#     OUT/SHA256SUMS
#
# Both .exe files carry their icon, version information and manifest (asInvoker, DPI
# aware) as Windows resources: packaging/tools/winres writes a .syso beside each
# main package, which go build links for windows/amd64 alone, and which is removed
# again afterwards (it is not in git). The flags are release.sh's: -trimpath,
# -buildvcs=auto, -s -w -buildid=, GOFLAGS cleared. The macOS app needs Apple's SDK
# and is not built here (packaging/README.md). DAOLI_ONLY=trustee skips the app.
set -eu
out=${1:?usage: packaging/cross.sh OUT}
GO=${GO:-go}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
cc=${CC_WINDOWS:-x86_64-w64-mingw32-gcc}

release=$(sed -n 's/^const Release = "\(.*\)"$/\1/p' node/version/version.go)
[ -n "$release" ] || { echo "cross.sh: no Release in node/version/version.go" >&2; exit 1; }

# build GOOS GOARCH NAME PACKAGE LDFLAGS [FLAGS...]
build() {
	goos=$1 goarch=$2 name=$3 pkg=$4 ld=$5
	shift 5
	mkdir -p "$out/$goos-$goarch"
	GOFLAGS= GOOS=$goos GOARCH=$goarch $GO build -trimpath -buildvcs=auto \
		-ldflags="-s -w -buildid= $ld" "$@" -o "$out/$goos-$goarch/$name" "$pkg"
}

# The resources, written where go build finds them and removed on any exit.
syso_app=zz_daoli_windows_amd64.syso
syso_trustee=node/cmd/daoli-trustee/zz_daoli_windows_amd64.syso
trap 'rm -f "$syso_app" "$syso_trustee"' EXIT
mkdir -p bin/tools
GOFLAGS= $GO -C packaging/tools build -o "$PWD/bin/tools/winres" ./winres
bin/tools/winres -icon assets/icon.png -name daoli-trustee -desc "Daoli trustee" \
	-version "$release" -o "$syso_trustee"

CGO_ENABLED=0 build windows amd64 daoli-trustee.exe ./node/cmd/daoli-trustee ""
CGO_ENABLED=0 build darwin amd64 daoli-trustee ./node/cmd/daoli-trustee ""
CGO_ENABLED=0 build darwin arm64 daoli-trustee ./node/cmd/daoli-trustee ""

if [ "${DAOLI_ONLY:-}" != trustee ]; then
	command -v "$cc" >/dev/null 2>&1 ||
		{ echo "cross.sh: no $cc: apt-get install gcc-mingw-w64-x86-64 (packaging/build-deps.sh cross)" >&2; exit 1; }
	bin/tools/winres -icon assets/icon.png -name daoli -desc "Daoli" -version "$release" -o "$syso_app"
	# As release.sh builds the app: Fyne's idle loop (its -modfile and its -X stamp),
	# no emoji font; -H=windowsgui makes it a GUI program.
	fyne=$(GO=$GO packaging/fyne/prepare.sh)
	modfile=${fyne%% -ldflags=*}
	stamp=${fyne#* -ldflags=}
	CGO_ENABLED=1 CC=$cc build windows amd64 daoli.exe . "-H=windowsgui $stamp" -tags no_emoji "$modfile"
	# The installer (windows/daoli.nsi says what it does).
	command -v makensis >/dev/null 2>&1 ||
		{ echo "cross.sh: no makensis: apt-get install nsis (packaging/build-deps.sh cross)" >&2; exit 1; }
	makensis -V2 -DVERSION="$release" -DEXE="$out/windows-amd64/daoli.exe" \
		-DOUT="$out/windows-amd64/daoli-$release-windows-amd64-setup.exe" packaging/windows/daoli.nsi
fi

cd "$out"
find . -type f ! -name SHA256SUMS | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
cat SHA256SUMS

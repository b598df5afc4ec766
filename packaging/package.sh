#!/bin/sh
# Builds the Linux packages of Daoli (make package):
#
#   packaging/package.sh OUT
#     OUT/bin/                            the release binaries (packaging/release.sh)
#     OUT/daoli-VERSION-linux-amd64.tar.xz   `fyne package`: binary, desktop entry, icon
#     OUT/daoli_VERSION_amd64.deb          the desktop app
#     OUT/daoli-trustee_VERSION_amd64.deb  the trustee, as a systemd service
#
# The fyne CLI and nfpm come from the Go module proxy at the versions pinned in
# packaging/tools/go.mod, built into OUT/tools; the Go build cache makes that quick
# after the first time. DAOLI_RELEASE_BIN=DIR takes the release binaries from DIR, made
# by packaging/release.sh, instead of building them.
set -eu
out=${1:?usage: packaging/package.sh OUT}
GO=${GO:-go}
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^const Release = "\(.*\)"$/\1/p' node/version/version.go)
[ -n "$version" ] || { echo "package: no Release in node/version/version.go" >&2; exit 1; }

echo "== tools (packaging/tools/go.mod)"
(cd packaging/tools && GOFLAGS= $GO build -o "$out/tools/fyne" fyne.io/tools/cmd/fyne &&
	GOFLAGS= $GO build -o "$out/tools/nfpm" github.com/goreleaser/nfpm/v2/cmd/nfpm)

echo "== release binaries"
if [ -n "${DAOLI_RELEASE_BIN:-}" ]; then
	# Built already by packaging/release.sh (the tests build them once for every check).
	mkdir -p "$out/bin"
	cp "$DAOLI_RELEASE_BIN/daoli" "$DAOLI_RELEASE_BIN/daoli-trustee" "$DAOLI_RELEASE_BIN/SHA256SUMS" "$out/bin/"
else
	GO=$GO packaging/release.sh "$out/bin"
fi

echo "== fyne package"
# fyne package reads FyneApp.toml and the icon from its source directory and, when it
# is done, raises Build in that FyneApp.toml; a copy keeps the source tree untouched.
# It wants Go code there, but packages the binary given with --exe as it is.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/src/assets" "$stage/out"
cp FyneApp.toml main.go "$stage/src/"
cp assets/icon.png "$stage/src/assets/"
(cd "$stage/out" && "$out/tools/fyne" package --os linux --release \
	--exe "$out/bin/daoli" --src "$stage/src")
tarball="$out/daoli-$version-linux-amd64.tar.xz"
mv "$stage/out/Daoli.tar.xz" "$tarball"
# The desktop entry and icon for the .deb are the ones fyne made from FyneApp.toml.
mkdir -p "$stage/fyne"
tar -xJf "$tarball" -C "$stage/fyne"
for f in applications/cloud.daoli.app.desktop pixmaps/cloud.daoli.app.png; do
	src=$(find "$stage/fyne" -path "*/share/$f" | head -1)
	[ -n "$src" ] || { echo "package: $f is not in $tarball" >&2; exit 1; }
	cp "$src" "$stage/fyne/"
done

echo "== .deb"
# The newest glibc symbol version the app links against is the libc6 it needs.
libc=$(objdump -T "$out/bin/daoli" | sed -n 's/.*GLIBC_\([0-9.]*\).*/\1/p' | sort -uV | tail -1)
[ -n "$libc" ] || { echo "package: no glibc symbol versions in bin/daoli" >&2; exit 1; }
# Files in the packages carry the commit's time, not the build's.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH DAOLI_VERSION=$version DAOLI_BIN="$out/bin" DAOLI_FYNE="$stage/fyne" DAOLI_LIBC=$libc
for p in daoli daoli-trustee; do
	"$out/tools/nfpm" package --packager deb --config "packaging/deb/$p.yaml" \
		--target "$out/${p}_${version}_amd64.deb"
done
ls -l "$tarball" "$out"/*.deb

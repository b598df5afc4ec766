#!/bin/sh
# Builds the example job modules of assets/jobs for WASI preview 1, reproducibly, gzips
# them and writes assets/jobs/manifest.json. A directory holds one program: main.go
# (Go: -trimpath, no build ID, stripped), main.c (clang with wasi-libc) or main.rs
# (rustc's wasm32-wasi standard library). C and Rust are built with fixed flags, the
# source path remapped and symbols stripped, so the bytes depend only on the source and
# the toolchain; the C and Rust toolchains are Debian's, installed here when missing.
# A directory with main.wgsl and gpu.json also holds a GPU job, whose CPU twin is its
# main.go: packaging/gpujob writes its module, <name>.gpu.json (docs/market.md, GPU jobs).
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
CC_WASI=/usr/bin/clang
RUSTC_WASI=/usr/bin/rustc
manifest=assets/jobs/manifest.json

need=""
ls assets/jobs/*/main.c >/dev/null 2>&1 && need="clang lld wasi-libc libclang-rt-14-dev-wasm32"
ls assets/jobs/*/main.rs >/dev/null 2>&1 && need="$need rustc libstd-rust-dev-wasm32"
missing=""
for p in $need; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "Installing the C and Rust WASI toolchains:$missing" >&2
	if [ "$(id -u)" -eq 0 ]; then apt=apt-get; else apt="sudo apt-get"; fi
	$apt update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $apt install -y --no-install-recommends $missing
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
clang_v=""; rustc_v=""
[ -x $CC_WASI ] && clang_v=$($CC_WASI --version | head -1)
[ -x $RUSTC_WASI ] && rustc_v=$($RUSTC_WASI --version)
printf '{\n  "go": "%s",\n  "clang": "%s",\n  "rustc": "%s",\n  "jobs": [\n' \
	"$($GO env GOVERSION)" "$clang_v" "$rustc_v" > "$tmp/manifest"
first=1
gpufirst=1
: > "$tmp/gpu"
for dir in assets/jobs/*/; do
	name=$(basename "$dir")
	dir=${dir%/}
	if [ -f "$dir/main.go" ]; then
		src=$dir/main.go
		GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $GO build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$tmp/$name.wasm" "./$dir"
	elif [ -f "$dir/main.c" ]; then
		src=$dir/main.c
		# Same flags as assets' TestJobsReproducible. Compiled and linked apart: a
		# link with -O runs binaryen's wasm-opt when it is installed, which would
		# make the module depend on a package the build does not name.
		$CC_WASI --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror \
			-ffile-prefix-map="$PWD"=. -c -o "$tmp/$name.o" "$src"
		$CC_WASI --target=wasm32-wasi --sysroot=/usr -Wl,--strip-all -o "$tmp/$name.wasm" "$tmp/$name.o"
	elif [ -f "$dir/main.rs" ]; then
		src=$dir/main.rs
		$RUSTC_WASI --edition 2021 --target wasm32-wasi -C opt-level=2 -C codegen-units=1 \
			-C strip=symbols -C panic=abort --remap-path-prefix="$PWD"=. \
			-o "$tmp/$name.wasm" "$src"
	else
		echo "$dir: no main.go, main.c or main.rs" >&2
		exit 1
	fi
	gzip -9 -n -c "$tmp/$name.wasm" > "$dir/$name.wasm.gz"
	sum=$(sha256sum "$tmp/$name.wasm" | cut -d' ' -f1)
	size=$(wc -c < "$tmp/$name.wasm" | tr -d ' ')
	summary=$(sed -n 's|^// Command [a-z]* ||p' "$src" | head -1)
	usage=$(sed -n 's|^//	\(.*\)|\1|p' "$src" | head -1)
	[ $first = 1 ] || printf ',\n' >> "$tmp/manifest"
	first=0
	printf '    {"name": "%s", "sha256": "%s", "size": %s, "summary": "%s", "usage": "%s"}' \
		"$name" "$sum" "$size" "$summary" "$usage" >> "$tmp/manifest"
	if [ -f "$dir/main.wgsl" ]; then
		$GO run ./packaging/gpujob "$dir"
		sum=$(sha256sum "$dir/$name.gpu.json" | cut -d' ' -f1)
		size=$(wc -c < "$dir/$name.gpu.json" | tr -d ' ')
		summary=$(sed -n 's|^// ||p' "$dir/main.wgsl" | head -1)
		[ $gpufirst = 1 ] || printf ',\n' >> "$tmp/gpu"
		gpufirst=0
		printf '    {"name": "%s", "sha256": "%s", "size": %s, "summary": "%s"}' \
			"$name" "$sum" "$size" "$summary" >> "$tmp/gpu"
	fi
done
printf '\n  ],\n  "gpu_jobs": [\n' >> "$tmp/manifest"
cat "$tmp/gpu" >> "$tmp/manifest"
printf '\n  ]\n}\n' >> "$tmp/manifest"
mv "$tmp/manifest" "$manifest"
echo "built $(ls assets/jobs/*/*.wasm.gz | wc -l) job modules and $(ls assets/jobs/*/*.gpu.json | wc -l) GPU modules with $($GO env GOVERSION), $clang_v, $rustc_v"

#!/bin/sh
# Fetches the Ruby interpreter the tests and benchmarks run as a buyer's job, and
# makes it a WASI preview 1 command: bin/interp/ruby.wasm, about 30 MB, Ruby 3.4 with
# its standard library inside (packed into the module by wasi-vfs).
#
# The npm package @ruby/3.4-wasm-wasi (pinned, checked by sha256) ships ruby+stdlib.wasm
# built for a JavaScript host: a reactor that imports the host's JavaScript bridge and
# has no _start. packaging/interp/rubycmd turns it into a command with Binaryen
# (Debian's binaryen, installed here when missing); the result is checked against its
# own pinned sha256, so every machine runs the same bytes. Nothing is fetched when
# bin/interp/ruby.wasm is already those bytes.
#
# Then it compiles the interpreter into bin/interp/wasm-cache (packaging/interp/
# precompile, through node/compute's Sandbox in a plain build), which the tests copy
# into their nodes' caches: compiling 30 MB in a test binary built with the race
# detector takes over ten minutes on a loaded machine.
set -eu
cd "$(dirname "$0")/../.."
GO=${GO:-go}
pkg=@ruby/3.4-wasm-wasi
version=2.10.1
tgz_sha256=2e709bd9eddefe1c5d63e9fc0391a35cce4754e936d8a2f24b8582f6d5c2ea88
reactor_sha256=4b814fc9d13505ea5b4c1f3bd3a7cc7ccca137f551196b9b21f0a7caf9cc5878
command_sha256=8a6af5ba94d55e18ae3ebdd5a8653bc1c7d7eda7026352c6fbab6ad918453ffb
out=bin/interp/ruby.wasm

cache=bin/interp/wasm-cache

sum() { sha256sum "$1" | cut -d' ' -f1; }
precompile() {
	rm -rf "$cache.tmp"
	$GO run ./packaging/interp/precompile "$out" "$cache.tmp" -e 'puts 1'
	rm -rf "$cache"
	mv "$cache.tmp" "$cache"
}
if [ -f "$out" ] && [ "$(sum "$out")" = "$command_sha256" ]; then
	[ -n "$(ls -A "$cache" 2>/dev/null)" ] || precompile
	exit 0
fi

missing=""
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v wasm-as >/dev/null 2>&1 && command -v wasm-dis >/dev/null 2>&1 || missing="$missing binaryen"
if [ -n "$missing" ]; then
	echo "Installing:$missing" >&2
	if [ "$(id -u)" -eq 0 ]; then apt=apt-get; else apt="sudo apt-get"; fi
	$apt update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $apt install -y --no-install-recommends $missing
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching $pkg@$version and making it a WASI command (a few minutes)" >&2
(cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
if [ "$(sum "$tgz")" != "$tgz_sha256" ]; then
	echo "$pkg@$version: sha256 $(sum "$tgz"), want $tgz_sha256" >&2
	exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/dist/ruby+stdlib.wasm
reactor=$tmp/package/dist/ruby+stdlib.wasm
if [ "$(sum "$reactor")" != "$reactor_sha256" ]; then
	echo "ruby+stdlib.wasm: sha256 $(sum "$reactor"), want $reactor_sha256" >&2
	exit 1
fi
wasm-dis "$reactor" -o "$tmp/reactor.wast"
$GO run ./packaging/interp/rubycmd < "$tmp/reactor.wast" > "$tmp/command.wast"
rm "$tmp/reactor.wast"
wasm-as -all "$tmp/command.wast" -o "$tmp/ruby.wasm"
if [ "$(sum "$tmp/ruby.wasm")" != "$command_sha256" ]; then
	echo "ruby.wasm: sha256 $(sum "$tmp/ruby.wasm"), want $command_sha256 ($(wasm-as --version))" >&2
	exit 1
fi
mkdir -p "$(dirname "$out")"
mv "$tmp/ruby.wasm" "$out"
echo "$out: Ruby 3.4 from $pkg@$version as a WASI command, sha256 $command_sha256" >&2
precompile

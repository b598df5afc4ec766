#!/bin/sh
# Runs a Windows program under Wine (Debian's wine64), in a Wine prefix of the tests:
#
#   packaging/windows/wine-exec.sh PROGRAM.exe ARGS...
#   GOOS=windows go test -exec "$PWD/packaging/windows/wine-exec.sh" ./node/control
#
# The prefix is $WINEPREFIX, or bin/wine/prefix in the repository. It is made on
# first use (wineboot), with bcryptprimitives.dll built from bcryptprimitives.c in
# its system32: Wine 8 lacks that DLL, and Go programs need it (the .c file says
# why). Making a prefix takes seconds to a minute; later runs reuse it. A lock
# keeps two first uses from making it at once. Wine's own messages are silenced
# (WINEDEBUG=-all) unless WINEDEBUG is set.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/packaging/windows
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
[ -x "$wine" ] || { echo "wine-exec.sh: no wine64: apt-get install wine64 (packaging/build-deps.sh test)" >&2; exit 1; }
export WINEPREFIX="${WINEPREFIX:-$root/bin/wine/prefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
# No window system: Wine must not try to reach one (the tests are headless).
unset DISPLAY WAYLAND_DISPLAY
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-winemenubuilder.exe=d;mscoree=d;mshtml=d}"
sys32=$WINEPREFIX/drive_c/windows/system32
if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
	mkdir -p "$(dirname "$WINEPREFIX")"
	(
		flock 9
		if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
			cc=${CC_WINDOWS:-x86_64-w64-mingw32-gcc}
			command -v "$cc" >/dev/null || { echo "wine-exec.sh: no $cc: apt-get install gcc-mingw-w64-x86-64" >&2; exit 1; }
			"$wine" wineboot --init >/dev/null 2>&1
			"$(dirname "$wine")/wineserver" -w 2>/dev/null || wineserver -w
			tmp=$(mktemp -d)
			"$cc" -shared -O2 -o "$tmp/bcryptprimitives.dll" "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" -ladvapi32
			mv "$tmp/bcryptprimitives.dll" "$sys32/bcryptprimitives.dll"
			rm -rf "$tmp"
		fi
	) 9>"$WINEPREFIX.lock"
fi
exec "$wine" "$@"

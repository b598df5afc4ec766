#!/bin/sh
# check.sh runs Fyne's own tests of its GLFW driver and of its animations against the
# patched copy (prepare.sh), under Xvfb: `make fyne-check`.
#
# A few of these tests wait a fixed time for a real window to take its size and fail
# now and then on an unpatched Fyne as well (README.md, "Fyne's own tests"). A test
# that fails is run again on its own, up to twice more; the check passes only if each
# failed test then passes, and it names every test it ran again. A test the patch
# breaks fails every time and stops the check. A panic, a timeout or a failure that
# names no test (a build error) stops it at once.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
go=${GO:-go}
cd "$root"

flags=$(GO=$go "$here/prepare.sh")
pkgs="fyne.io/fyne/v2/internal/driver/glfw fyne.io/fyne/v2/internal/animation"
# TestMenuBar's hover image does not match its golden on this font rendering, with or
# without the patch.
skip='^TestMenuBar$'
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# shellcheck disable=SC2086 # flags and pkgs are lists of words
if xvfb-run -a $go test $flags -count=1 -skip "$skip" $pkgs >"$log" 2>&1; then
	grep -E '^(ok|FAIL|---)' "$log" || true
	exit 0
fi
# A panic or a timeout ends its package's run: the tests after it never ran, so
# running the one that failed again would not cover them.
if grep -qE '^panic:|test timed out' "$log"; then
	cat "$log"
	echo "packaging/fyne/check.sh: Fyne's tests panicked or timed out" >&2
	exit 1
fi
failed=$(sed -n 's/^--- FAIL: \([A-Za-z0-9_]*\) .*/\1/p' "$log" | sort -u)
if [ -z "$failed" ]; then
	cat "$log"
	echo "packaging/fyne/check.sh: Fyne's tests failed without naming a test" >&2
	exit 1
fi
grep -E '^(ok|FAIL|\s*---)' "$log" || true
for t in $failed; do
	passed=no
	for attempt in 2 3; do
		echo "packaging/fyne/check.sh: $t failed; running it alone (attempt $attempt of 3)"
		# shellcheck disable=SC2086
		if xvfb-run -a $go test $flags -count=1 -run "^$t\$" $pkgs >"$log" 2>&1; then
			passed=yes
			break
		fi
		grep -E '^(ok|FAIL|\s*---)' "$log" || true
	done
	if [ "$passed" != yes ]; then
		cat "$log"
		echo "packaging/fyne/check.sh: $t failed three times: the patch may have broken it" >&2
		exit 1
	fi
	echo "packaging/fyne/check.sh: $t failed once and passed when run again alone"
done

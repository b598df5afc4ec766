#!/bin/sh
# Draws a new user's first minutes with the real app under Xvfb into docs/screenshots
# (make screenshots-first-minutes): the wallet made with the default preset, the
# dashboard waiting for the user to leave the keyboard (sharing-waiting.png), after
# "Share now for an hour" (sharing-now.png) and after "Pause" (sharing-paused.png).
# The states are the governor's own on this machine: on a busy machine the first may
# say that other programs use the CPU instead. The packaging/screenshots program
# cannot draw them, as it has no display to read the user's idle time from.
set -eu
bin=$(realpath "${1:-bin/daoli}")
out=$(realpath "${2:-docs/screenshots}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" BIN="$bin" OUT="$out"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"

xvfb-run -a -s '-screen 0 960x680x24' sh -eu -c '
"$BIN" >"$HOME/app.log" 2>&1 &
app=$!
trap "kill $app 2>/dev/null || true" EXIT
win=$(xdotool search --sync --onlyvisible --name "^Daoli$" | head -1)
click() { xdotool mousemove --window "$win" "$1" "$2" click 1; }
# The first-run screen: passphrase twice, Balanced as it comes, Continue.
sleep 1
click 510 412; xdotool type --delay 10 "first minutes passphrase"
click 510 451; xdotool type --delay 10 "first minutes passphrase"
click 670 627
# The dashboard, once the node answers and has decided on a few samples.
i=0
until "$BIN" status --data "$XDG_DATA_HOME/daoli" --json 2>/dev/null | grep -q "\"running\": *true"; do
  i=$((i+1)); [ $i -lt 120 ] || { cat "$HOME/app.log"; exit 1; }
  sleep 0.5
done
sleep 8
import -window root "$OUT/sharing-waiting.png"
click 95 333   # Share now for an hour
sleep 3
import -window root "$OUT/sharing-now.png"
click 38 333   # Pause
sleep 3
import -window root "$OUT/sharing-paused.png"
'
echo "screenshots in $out"

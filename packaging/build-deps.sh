#!/usr/bin/env bash
# Installs the system packages Daoli needs to build (and, with "test", to run its tests
# headless), on Debian and Ubuntu. Fyne's window layer (GLFW) is C, compiled through cgo
# against the OpenGL and X11 headers, and patch applies Daoli's idle main loop to a copy
# of Fyne (packaging/fyne); the window tests open a real window on Xvfb. The
# packaging tests (packaging/*_test.go) build the .deb packages, install them into a
# throwaway root and check the unit, the desktop entry and the AppStream metadata with
# the distribution's own validators. The nemesis harness (node/devnet/nemesis) puts
# each node in a network namespace and drops its packets with iptables. The GPU jobs'
# tests (node/gpu/device) run on Mesa's software Vulkan adapter, lavapipe.
#
#   packaging/build-deps.sh build    compiler and headers, for `make run`
#   packaging/build-deps.sh package  the above, plus objdump and xz, for `make package`
#   packaging/build-deps.sh cross    build's, plus MinGW-w64's gcc (the Windows app's cgo) and
#                                    NSIS (its installer), for `make cross`
#   packaging/build-deps.sh test     build's, package's, cross's, Xvfb and X11 tools, the tools
#                                    of the packaging tests, and Wine and NSIS for the
#                                    Windows tests, and Mesa's Vulkan drivers for the GPU
#                                    jobs' tests, for `make test`
set -euo pipefail

mode=${1:-build}
pkgs=(gcc pkg-config patch libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
      libxinerama-dev libxi-dev libxxf86vm-dev)
case "$mode" in
  build) ;;
  package) pkgs+=(binutils xz-utils) ;;
  cross) pkgs+=(gcc-mingw-w64-x86-64 nsis) ;;
  test) pkgs+=(gcc-mingw-w64-x86-64 wine wine64 nsis xvfb xauth x11-utils xdotool dbus-daemon
              binutils xz-utils git iproute2 iptables passwd init-system-helpers
              systemd desktop-file-utils appstream mesa-vulkan-drivers) ;;
  *) echo "usage: $0 build|package|cross|test" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  # Not Debian: we cannot check packages by name, so say what is needed and go on; the
  # build itself reports a missing header.
  echo "note: not a Debian-based system; make sure a C compiler and the OpenGL and X11" \
       "development headers are installed (for tests also Xvfb and xwininfo)." >&2
  exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Installing system packages: ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  apt=(apt-get)
elif command -v sudo >/dev/null 2>&1; then
  apt=(sudo apt-get)
else
  echo "error: these system packages are missing and this user cannot install them:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install them as root:  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"

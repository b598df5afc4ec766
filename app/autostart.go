package app

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Start at login: an XDG autostart entry on Linux and the BSDs, a LaunchAgent on
// macOS, the Run key on Windows (autostart_windows.go). Each points at this executable
// with the data directory it runs with.

const autostartName = "cloud.daoli.app"

// autostartPath is the file that makes the app start at login, where it is a file.
func autostartPath() (string, error) { return autostartPathFor(runtime.GOOS) }

// autostartPathFor is autostartPath on the system goos.
func autostartPathFor(goos string) (string, error) {
	switch goos {
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "LaunchAgents", autostartName+".plist"), nil
	case "windows":
		return "", nil
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", "daoli.desktop"), nil
}

// autostartFile is the file's content for the executable exe and data directory.
func autostartFile(exe, dataDir string) string { return autostartFileFor(runtime.GOOS, exe, dataDir) }

// autostartFileFor is autostartFile on the system goos: on macOS a LaunchAgent
// property list, which launchd runs at login (RunAtLoad).
func autostartFileFor(goos, exe, dataDir string) string {
	if goos == "darwin" {
		return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key><string>%s</string>
	<key>ProgramArguments</key>
	<array><string>%s</string><string>--data</string><string>%s</string></array>
	<key>RunAtLoad</key><true/>
</dict>
</plist>
`, autostartName, xmlEscape(exe), xmlEscape(dataDir))
	}
	return fmt.Sprintf(`[Desktop Entry]
Type=Application
Name=Daoli
Comment=Earn with this computer's idle time
Exec=%s --data %s
Icon=daoli
Terminal=false
X-GNOME-Autostart-enabled=true
`, desktopQuote(exe), desktopQuote(dataDir))
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// desktopQuote quotes an argument of a desktop entry's Exec key.
func desktopQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\\\`, `"`, `\\"`, "`", "\\\\`", "$", `\\$`)
	return `"` + r.Replace(s) + `"`
}

// StartsAtLogin reports whether the app is set to start at login.
func StartsAtLogin() bool {
	if runtime.GOOS == "windows" {
		return runKeyExists()
	}
	p, err := autostartPath()
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// SetStartAtLogin turns starting at login on or off for this executable and dataDir.
func SetStartAtLogin(on bool, dataDir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if runtime.GOOS == "windows" {
		return setRunKey(on, exe, dataDir)
	}
	p, err := autostartPath()
	if err != nil {
		return err
	}
	if !on {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(autostartFile(exe, dataDir)), 0o644)
}

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// DefaultDataDir is where Daoli keeps its wallet, chain and settings when --data is
// not given: $XDG_DATA_HOME/daoli (~/.local/share/daoli) on Linux and the BSDs,
// ~/Library/Application Support/Daoli on macOS, %AppData%\Daoli on Windows.
func DefaultDataDir() (string, error) {
	switch runtime.GOOS {
	case "darwin", "windows":
		dir, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find the data directory: %w", err)
		}
		return filepath.Join(dir, "Daoli"), nil
	}
	if xdg := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "daoli"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the data directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "daoli"), nil
}

// Files inside the data directory.
const (
	sharingSettingsFile = "sharing.json"
	capacityCheckFile   = "capacity-check.json"
	pricingFile         = "pricing.json" // the provider's price and slots
)

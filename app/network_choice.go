package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/daolicloud/daoli/node/network"
)

// ChosenNetworkFile is the network file chosen in Settings, copied into the data
// directory; without it (and without --network) the app runs the local demo network.
const ChosenNetworkFile = "network.json"

// networkFileOf is the network file a start in dataDir joins: the one named on the
// command line, else the one chosen in Settings, else "" for the local demo network.
// The window and `daoli node` both start this way.
func networkFileOf(dataDir, named string) string {
	if named != "" {
		return named
	}
	if chosen := filepath.Join(dataDir, ChosenNetworkFile); fileExists(chosen) {
		return chosen
	}
	return ""
}

// nextNetwork names the network the next start joins: the chosen file's, or "" for
// the local demo network (an unreadable choice names itself).
func (b *uiBackend) nextNetwork() string {
	path := filepath.Join(b.s.dataDir, ChosenNetworkFile)
	if !fileExists(path) {
		return ""
	}
	f, err := network.Load(path)
	if err != nil {
		return path + " (unreadable: " + err.Error() + ")"
	}
	return f.Name
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func (b *uiBackend) ChooseNetwork(data []byte) (string, error) {
	return chooseNetwork(b.s.dataDir, data)
}

// chooseNetwork makes data, a network file, the network of dataDir's next start; nil
// data goes back to the local demo network. It returns the network's name.
func chooseNetwork(dataDir string, data []byte) (string, error) {
	path := filepath.Join(dataDir, ChosenNetworkFile)
	if data == nil {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		return "", nil
	}
	f, err := network.Decode(data)
	if err != nil {
		return "", fmt.Errorf("this is not a network file: %w", err)
	}
	if err := network.Save(path, f); err != nil {
		return "", err
	}
	return f.Name, nil
}

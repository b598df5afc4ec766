package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/chain"
)

// jobNames remembers what the user called the jobs it bought; the chain knows only a
// module's hash. The example jobs are named by their hash in the manifest.
type jobNames struct {
	mu    sync.Mutex
	path  string
	names map[chain.Hash]string
	known map[chain.Hash]string // module hash → example job
}

func newJobNames(dataDir string) *jobNames {
	n := &jobNames{path: filepath.Join(dataDir, "job-names.json"), names: map[chain.Hash]string{}, known: map[chain.Hash]string{}}
	if raw, err := os.ReadFile(n.path); err == nil {
		_ = json.Unmarshal(raw, &n.names) // a damaged file only loses names
	}
	if m, err := assets.JobManifest(); err == nil {
		for _, j := range m.Jobs {
			if h, err := chain.ParseHash(j.SHA256); err == nil {
				n.known[h] = j.Name
			}
		}
	}
	return n
}

func (n *jobNames) set(id chain.Hash, name string) {
	if name == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.names[id] = name
	if raw, err := json.Marshal(n.names); err == nil {
		_ = os.WriteFile(n.path, raw, 0o600)
	}
}

func (n *jobNames) name(id, module chain.Hash) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.names[id]; ok {
		return s
	}
	if s, ok := n.known[module]; ok {
		return s
	}
	return "module " + module.Short()
}

package trustee

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Config is a trustee's configuration file. Relative paths are taken relative to the
// directory of the configuration file, so a trustee directory can be moved whole.
type Config struct {
	// KeyFile is the trustee's key file (see the package doc).
	KeyFile string `json:"key_file"`
	// DataDir holds the chain database.
	DataDir string `json:"data_dir"`
	// Listen lists the libp2p multiaddrs to listen on.
	Listen []string `json:"listen"`
	// Announce, when set, replaces the addresses told to peers.
	Announce []string `json:"announce,omitempty"`
	// NetworkFile is the network file: chain ID, genesis and bootstrap trustees.
	NetworkFile string `json:"network_file"`
	// Metrics is the address of the metrics and status HTTP server; empty for none.
	Metrics string `json:"metrics,omitempty"`
	// MaxLights is how many light nodes the trustee admits; 0 is
	// p2p.DefaultMaxLights. Its connection limits are derived from it
	// (p2p.TrusteeConns).
	MaxLights int `json:"max_lights,omitempty"`
}

// LoadConfig reads a configuration file and resolves its relative paths.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	c := new(Config)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("load config %s: %w: %v", path, ErrBadConfig, err)
	}
	dir := filepath.Dir(path)
	for _, p := range []*string{&c.KeyFile, &c.DataDir, &c.NetworkFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("load config %s: %w", path, err)
	}
	return c, nil
}

// Validate checks that every required field is set.
func (c *Config) Validate() error {
	switch {
	case c.KeyFile == "":
		return fmt.Errorf("%w: no key_file", ErrBadConfig)
	case c.DataDir == "":
		return fmt.Errorf("%w: no data_dir", ErrBadConfig)
	case c.NetworkFile == "":
		return fmt.Errorf("%w: no network_file", ErrBadConfig)
	case len(c.Listen) == 0:
		return fmt.Errorf("%w: no listen address", ErrBadConfig)
	case c.MaxLights < 0:
		return fmt.Errorf("%w: max_lights %d", ErrBadConfig, c.MaxLights)
	}
	return nil
}

// SaveConfig writes c to path atomically, as indented JSON.
func SaveConfig(path string, c *Config) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save config: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

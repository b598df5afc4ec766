package capacity

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// SettingsStore keeps the sharing settings between runs. The app backs it with Fyne
// preferences, `daoli node` with FileSettingsStore.
type SettingsStore interface {
	// Load returns the saved settings, or ErrNotFound before the first Save.
	Load() (Settings, error)
	// Save stores settings; it refuses settings that contradict themselves.
	Save(Settings) error
}

// FileSettingsStore keeps the settings as JSON in one file, replaced atomically.
type FileSettingsStore struct {
	Path string
}

// Load reads the file.
func (f FileSettingsStore) Load() (Settings, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return Settings{}, fmt.Errorf("settings %s: %w", f.Path, ErrNotFound)
	}
	if err != nil {
		return Settings{}, fmt.Errorf("load settings: %w", err)
	}
	s, err := DecodeSettings(b)
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", f.Path, err)
	}
	return s, nil
}

// Save validates the settings (without the machine: the governor clamps core counts
// to the machine it runs on) and replaces the file.
func (f FileSettingsStore) Save(s Settings) error {
	if err := s.Validate(0); err != nil {
		return err
	}
	b, err := s.Encode()
	if err != nil {
		return err
	}
	return writeFileAtomic(f.Path, append(b, '\n'))
}

// MemorySettingsStore keeps settings in memory: for tests and for a node that must
// not write to disk.
type MemorySettingsStore struct {
	mu    sync.Mutex
	saved *Settings
}

// Load returns the last saved settings.
func (m *MemorySettingsStore) Load() (Settings, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saved == nil {
		return Settings{}, ErrNotFound
	}
	return *m.saved, nil
}

// Save validates and keeps the settings.
func (m *MemorySettingsStore) Save(s Settings) error {
	if err := s.Validate(0); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saved = &s
	return nil
}

// WriteFileAtomic replaces path with data as the settings files are replaced: a
// crash leaves the old file or the new one, never half. The app's other settings
// files use it.
func WriteFileAtomic(path string, data []byte) error { return writeFileAtomic(path, data) }

// writeFileAtomic writes to a temporary file in the same directory, syncs it and
// renames it over path, so a crash leaves the old file or the new one, never half.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	// The rename is durable only once the directory is synced; Windows cannot open
	// a directory for that, and renames there are already durable.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

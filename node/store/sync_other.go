//go:build !linux

package store

import "os"

// datasync makes f's data durable (on macOS, Go's Sync is a full flush to the disk).
func datasync(f *os.File) error { return f.Sync() }

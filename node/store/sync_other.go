//go:build !linux

package store

import "os"

// datasync makes f's data durable (on macOS, Go's Sync is a full flush to the disk).
func datasync(f *os.File) error { return f.Sync() }

// preallocate does nothing here: appends grow the file.
func preallocate(*os.File, int64) error { return nil }

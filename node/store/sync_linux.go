package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync makes f's data durable; fdatasync skips the metadata a reader does not
// need (times), which an fsync would write too.
func datasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }

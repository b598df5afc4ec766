package store

import (
	"os"
	"runtime"
)

// syncDir makes the entries of dir durable: a new or renamed file is not safe across a
// power loss until its directory is synced. Windows has no such call, and its file
// system journals directory entries.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

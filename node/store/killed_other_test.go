//go:build !unix

package store

import "os"

// killed reports whether a child process ended by Process.Kill, which on Windows
// terminates it with exit code 1; a helper that fails on its own exits with 2.
func killed(ps *os.ProcessState) bool { return ps.ExitCode() == 1 }

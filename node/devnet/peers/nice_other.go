//go:build !unix

package peers

import "os/exec"

// niced starts cmd; niceness is a Unix notion (the worker runs at idle priority on
// Windows, and the harness runs on Linux).
func niced(cmd *exec.Cmd, nice int) error { return cmd.Start() }

//go:build unix

package peers

import (
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
)

// niced starts cmd at niceness nice, the worker's: the child takes the niceness of the
// thread that starts it, a thread of its own that ends with the call.
func niced(cmd *exec.Cmd, nice int) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, nice); err != nil {
			errc <- fmt.Errorf("setpriority: %w", err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

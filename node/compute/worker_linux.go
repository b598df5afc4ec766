package compute

import (
	"os"
	"strconv"
	"syscall"
)

// lowerPriority makes every thread of the worker the last thing the OS schedules:
// nice 19. Linux keeps a nice value per thread, and setpriority on the process ID
// sets only the main thread's, while the Go runtime has started threads of its own
// by now. A thread takes its nice value from the thread that starts it, so once a
// pass finds every thread at 19, every later thread starts at 19 too.
func lowerPriority() {
	for range 100 { // a pass that changes something is followed by another
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, 0, workerNice)
			return
		}
		changed := false
		for _, task := range tasks {
			tid, err := strconv.Atoi(task.Name())
			if err != nil {
				continue
			}
			// Getpriority's raw system call answers 20 - nice.
			if prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil && 20-prio == workerNice {
				continue
			}
			// A thread may end between the listing and the call.
			if syscall.Setpriority(syscall.PRIO_PROCESS, tid, workerNice) == nil {
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

package trustee

// Procs is the number of Go processors (GOMAXPROCS) a trustee process runs with where
// the runtime's default is cores: twice as many. The state goroutine waits in a sync
// to disk before every vote it sends (the WAL) and for every block it stores, and a
// goroutine in a system call keeps its processor until the runtime's monitor takes it
// back, which in a process that is mostly idle between epochs takes up to
// milliseconds. With one processor per core, each of those waits leaves a core
// without a processor while the goroutines that carry the other trustees' messages
// wait to run. On this project's two-core benchmark machine, four trustees in one
// process closed an epoch to commit in 7.7 ms at the median with two processors and
// 5.5 ms with four (docs/benchmarks.md).
func Procs(cores int) int { return 2 * max(cores, 1) }

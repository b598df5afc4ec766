package peers

import (
	"os"
	"runtime/pprof"
	"testing"

	"github.com/daolicloud/daoli/node/compute"
)

// workerEnv makes the test binary a `daoli worker` (compute.WorkerMain) with the
// cache directory it names: the Daoli side of the WebAssembly comparison runs its jobs
// in worker processes, as a provider does.
const workerEnv = "DAOLI_PEERS_WORKER_CACHE"

func TestMain(m *testing.M) {
	if dir := os.Getenv(workerEnv); dir != "" {
		// PEERS_WORKER_CPUPROFILE names a file for the worker's CPU profile.
		if path := os.Getenv("PEERS_WORKER_CPUPROFILE"); path != "" {
			f, err := os.Create(path)
			if err == nil && pprof.StartCPUProfile(f) == nil {
				code := compute.WorkerMain(os.Stdin, os.Stdout, os.Stderr, dir)
				pprof.StopCPUProfile()
				f.Close()
				os.Exit(code)
			}
		}
		os.Exit(compute.WorkerMain(os.Stdin, os.Stdout, os.Stderr, dir))
	}
	os.Exit(m.Run())
}

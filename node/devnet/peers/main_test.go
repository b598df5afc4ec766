package peers

import (
	"os"
	"testing"

	"github.com/daolicloud/daoli/node/compute"
)

// workerEnv makes the test binary a `daoli worker` (compute.WorkerMain) with the
// cache directory it names: the Daoli side of the WebAssembly comparison runs its jobs
// in worker processes, as a provider does.
const workerEnv = "DAOLI_PEERS_WORKER_CACHE"

func TestMain(m *testing.M) {
	if dir := os.Getenv(workerEnv); dir != "" {
		os.Exit(compute.WorkerMain(os.Stdin, os.Stdout, os.Stderr, dir))
	}
	os.Exit(m.Run())
}

//go:build !cgo || windows

package device

import "github.com/daolicloud/daoli/node/gpu"

// Executor is the GPU executor; this build has none.
type Executor struct{}

// Execute returns gpu.ErrNoExecutor: this build has no GPU executor.
func (Executor) Execute(*gpu.Manifest, [][]byte, func(int) bool, func(int)) ([][]byte, gpu.Adapter, error) {
	return nil, gpu.Adapter{}, gpu.ErrNoExecutor
}

// Probe returns gpu.ErrNoExecutor: this build has no GPU executor.
func Probe() (gpu.Adapter, error) { return gpu.Adapter{}, gpu.ErrNoExecutor }

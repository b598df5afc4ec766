package gpu

import "errors"

var (
	// ErrManifest: the bytes are not a GPU job manifest this package runs.
	ErrManifest = errors.New("invalid GPU job manifest")
	// ErrLimits: the job's limits are out of range, or its manifest asks for more than
	// they allow.
	ErrLimits = errors.New("GPU job over its limits")
	// ErrInput: the job's input tree does not hold what its manifest reads.
	ErrInput = errors.New("GPU job input does not fit its manifest")
	// ErrNoExecutor: this build of the program has no GPU executor (it was built
	// without cgo, or for a system where WebGPU is left out).
	ErrNoExecutor = errors.New("this build has no GPU executor")
	// ErrNoAdapter: the GPU executor found no WebGPU adapter on this machine.
	ErrNoAdapter = errors.New("no WebGPU adapter")
	// ErrShader: the WGSL module does not compile, or its entry point and bindings do
	// not match the manifest.
	ErrShader = errors.New("invalid WGSL shader")
	// ErrWorker: the GPU worker process ended without a result, or broke the protocol.
	ErrWorker = errors.New("GPU worker failed")
	// ErrMismatch: two results of one GPU job differ beyond what its check allows.
	ErrMismatch = errors.New("GPU results differ")
)

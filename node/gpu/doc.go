// Package gpu runs buyers' GPU jobs: WGSL compute shaders with a small manifest
// (docs/market.md, GPU jobs), in a GPU worker subprocess that a watchdog ends.
//
// A GPU job's module is a manifest (manifest.go): the WGSL source, its entry point,
// the storage buffers bound at @group(0) (their sizes, which input files fill them and
// which become files under /output), the dispatches, and how results are compared:
// exactly, byte for byte, or as float32 elements within a tolerance (compare.go).
// DecodeManifest checks all of it at the edge; a job's Limits cap the bytes of its
// buffers, the number of its dispatches and the time of each.
//
// Execution is split in two. This package holds everything that does not touch a GPU:
// the manifest, the comparison, the inputs and outputs, and the worker protocol, with
// both its sides: Runner starts a worker process and keeps the watchdog, WorkerMain is
// that process's loop. The GPU itself is behind the Executor interface, which
// node/gpu/device implements with WebGPU (wgpu-native, through cgo); so the trustee
// and the mediator's comparison never link a GPU driver.
//
// Why a process: a dispatch cannot be interrupted once submitted. WebGPU has no call
// to cancel one, and wgpu's blocking poll gives up after five seconds while the
// device goes on running it (docs/market.md, GPU jobs, the watchdog). The worker asks
// before each dispatch, and the Runner answers only when the job is not paused; it
// times each dispatch from that answer, and past the watchdog's limit it kills the
// process, which ends the dispatch with it, and reports why. Nothing a shader does can
// take the provider's app down.
package gpu

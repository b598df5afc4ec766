// Package device is the GPU executor of node/gpu: it runs a GPU job's dispatches with
// WebGPU (github.com/cogentcore/webgpu, wgpu-native linked statically through cgo) on
// Vulkan, Metal or Direct3D 12, and describes the machine's WebGPU adapter.
//
// Only the GPU worker process links it (`daoli gpu-worker`; node/gpu's Runner starts
// it): a shader that hangs the device, or a driver that aborts, ends that process and
// nothing else. A build without cgo, or for Windows (docs/market.md, GPU jobs, says
// why), has no executor: Execute and Probe return gpu.ErrNoExecutor.
package device

//go:build !linux

package capacity

// defaultGPUProbe asks nvidia-smi only: outside Linux there is no sysfs to read.
func defaultGPUProbe() GPUProbe { return SystemGPUProbe{} }

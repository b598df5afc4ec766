//go:build cgo && !windows

package device

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/cogentcore/webgpu/wgpu"

	"github.com/daolicloud/daoli/node/gpu"
)

func init() { wgpu.SetLogLevel(wgpu.LogLevelOff) }

// Executor runs GPU jobs on the machine's preferred WebGPU adapter (high
// performance: a discrete GPU before an integrated one, a software one last).
type Executor struct{}

// Probe describes the adapter Execute would use.
func Probe() (gpu.Adapter, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	inst := wgpu.CreateInstance(nil)
	defer inst.Release()
	a, err := requestAdapter(inst)
	if err != nil {
		return gpu.Adapter{}, err
	}
	defer a.Release()
	return describe(a), nil
}

func requestAdapter(inst *wgpu.Instance) (*wgpu.Adapter, error) {
	a, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance})
	if err != nil || a == nil {
		return nil, fmt.Errorf("%w: %v", gpu.ErrNoAdapter, err)
	}
	return a, nil
}

// vendors names the PCI (and Khronos) vendor IDs adapters report.
var vendors = map[uint32]string{0x10de: "nvidia", 0x1002: "amd", 0x8086: "intel", 0x106b: "apple",
	0x13b5: "arm", 0x5143: "qualcomm", 0x10005: "mesa"}

func describe(a *wgpu.Adapter) gpu.Adapter {
	info := a.GetInfo()
	name := strings.TrimSpace(info.Name)
	if name == "" || strings.HasPrefix(name, "0x") {
		name = strings.TrimSpace(info.DriverDescription)
	}
	vendor, ok := vendors[info.VendorId]
	if !ok {
		vendor = fmt.Sprintf("%04x", info.VendorId)
	}
	types := map[wgpu.AdapterType]string{wgpu.AdapterTypeDiscreteGPU: "discrete", wgpu.AdapterTypeIntegratedGPU: "integrated", wgpu.AdapterTypeCPU: "cpu"}
	typ, ok := types[info.AdapterType]
	if !ok {
		typ = "unknown"
	}
	backends := map[wgpu.BackendType]string{wgpu.BackendTypeVulkan: "vulkan", wgpu.BackendTypeMetal: "metal",
		wgpu.BackendTypeD3D12: "d3d12", wgpu.BackendTypeOpenGL: "opengl", wgpu.BackendTypeOpenGLES: "opengles"}
	backend, ok := backends[info.BackendType]
	if !ok {
		backend = "unknown"
	}
	lim := a.GetLimits().Limits
	return gpu.Adapter{Name: name, Vendor: vendor, Type: typ, Backend: backend, MaxBufferBytes: lim.MaxStorageBufferBindingSize}
}

// Execute runs m's dispatches over buffers, one submission each, waiting for each to
// finish before asking for the next.
func (Executor) Execute(m *gpu.Manifest, buffers [][]byte, before func(int) bool, started func(int)) ([][]byte, gpu.Adapter, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	inst := wgpu.CreateInstance(nil)
	defer inst.Release()
	a, err := requestAdapter(inst)
	if err != nil {
		return nil, gpu.Adapter{}, err
	}
	defer a.Release()
	desc := describe(a)
	dev, err := a.RequestDevice(nil) // WebGPU's default limits, which the manifest's bounds keep within
	if err != nil {
		return nil, desc, fmt.Errorf("open the device: %w", err)
	}
	defer dev.Release()
	queue := dev.GetQueue()
	defer queue.Release()

	shader, err := dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{
		Label: "job", WGSLDescriptor: &wgpu.ShaderModuleWGSLDescriptor{Code: m.WGSL}})
	if err != nil {
		return nil, desc, fmt.Errorf("%w: %s", gpu.ErrShader, oneLine(err))
	}
	defer shader.Release()
	pipe, err := dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{
		Compute: wgpu.ProgrammableStageDescriptor{Module: shader, EntryPoint: m.Entry}})
	if err != nil {
		return nil, desc, fmt.Errorf("%w: entry point %q: %s", gpu.ErrShader, m.Entry, oneLine(err))
	}
	defer pipe.Release()

	bufs := make([]*wgpu.Buffer, len(m.Buffers))
	entries := make([]wgpu.BindGroupEntry, len(m.Buffers))
	for i, b := range m.Buffers {
		buf, err := dev.CreateBufferInit(&wgpu.BufferInitDescriptor{Contents: buffers[i],
			Usage: wgpu.BufferUsageStorage | wgpu.BufferUsageUniform | wgpu.BufferUsageCopySrc | wgpu.BufferUsageCopyDst})
		if err != nil {
			return nil, desc, fmt.Errorf("buffer at binding %d of %d bytes: %w", b.Binding, b.Size, err)
		}
		defer buf.Release()
		bufs[i] = buf
		entries[i] = wgpu.BindGroupEntry{Binding: b.Binding, Buffer: buf, Size: wgpu.WholeSize}
	}
	layout := pipe.GetBindGroupLayout(0)
	defer layout.Release()
	group, err := dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Layout: layout, Entries: entries})
	if err != nil {
		return nil, desc, fmt.Errorf("%w: the manifest's buffers do not match the shader's bindings at @group(0): %s", gpu.ErrShader, oneLine(err))
	}
	defer group.Release()

	n := 0
	for _, d := range m.Dispatches {
		for range d.Repeat {
			if !before(n) {
				return nil, desc, errStopped
			}
			var index [4]byte
			binary.LittleEndian.PutUint32(index[:], uint32(n))
			for i, b := range m.Buffers {
				if b.Index {
					if err := queue.WriteBuffer(bufs[i], 0, index[:]); err != nil {
						return nil, desc, fmt.Errorf("write the index buffer: %w", err)
					}
				}
			}
			enc, err := dev.CreateCommandEncoder(nil)
			if err != nil {
				return nil, desc, fmt.Errorf("command encoder: %w", err)
			}
			pass := enc.BeginComputePass(nil)
			pass.SetPipeline(pipe)
			pass.SetBindGroup(0, group, nil)
			pass.DispatchWorkgroups(d.Workgroups[0], d.Workgroups[1], d.Workgroups[2])
			endErr := pass.End()
			pass.Release() // before Finish (gfx-rs/wgpu-native#412)
			cmds, err := enc.Finish(nil)
			enc.Release()
			if err = errors.Join(endErr, err); err != nil {
				return nil, desc, fmt.Errorf("%w: dispatch %d: %s", gpu.ErrShader, n, oneLine(err))
			}
			idx := queue.Submit(cmds)
			cmds.Release()
			started(n)
			// A blocking poll gives up after a few seconds with the work still
			// running; the Runner's watchdog bounds how long this waits.
			for !dev.Poll(true, &wgpu.WrappedSubmissionIndex{Queue: queue, SubmissionIndex: idx}) {
			}
			n++
		}
	}
	if err := readBack(dev, queue, m, bufs, buffers); err != nil {
		return nil, desc, err
	}
	return buffers, desc, nil
}

// errStopped: the caller's before said no.
var errStopped = errors.New("stopped before a dispatch")

// readBack copies the output buffers into out, through mapped staging buffers.
func readBack(dev *wgpu.Device, queue *wgpu.Queue, m *gpu.Manifest, bufs []*wgpu.Buffer, out [][]byte) error {
	enc, err := dev.CreateCommandEncoder(nil)
	if err != nil {
		return fmt.Errorf("command encoder: %w", err)
	}
	defer enc.Release()
	staging := make([]*wgpu.Buffer, len(m.Buffers))
	for i, b := range m.Buffers {
		if b.Output == "" {
			continue
		}
		st, err := dev.CreateBuffer(&wgpu.BufferDescriptor{Size: b.Size, Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst})
		if err != nil {
			return fmt.Errorf("staging buffer of %d bytes: %w", b.Size, err)
		}
		defer st.Release()
		staging[i] = st
		if err := enc.CopyBufferToBuffer(bufs[i], 0, st, 0, b.Size); err != nil {
			return fmt.Errorf("copy binding %d: %w", b.Binding, err)
		}
	}
	cmds, err := enc.Finish(nil)
	if err != nil {
		return fmt.Errorf("copy the outputs: %w", err)
	}
	idx := queue.Submit(cmds)
	cmds.Release()
	for !dev.Poll(true, &wgpu.WrappedSubmissionIndex{Queue: queue, SubmissionIndex: idx}) {
	}
	for i, st := range staging {
		if st == nil {
			continue
		}
		size := m.Buffers[i].Size
		mapped := false
		status := wgpu.BufferMapAsyncStatus(0xffffffff) // not one the callback reports
		if err := st.MapAsync(wgpu.MapModeRead, 0, size, func(s wgpu.BufferMapAsyncStatus) { mapped, status = true, s }); err != nil {
			return fmt.Errorf("map binding %d: %w", m.Buffers[i].Binding, err)
		}
		for !mapped {
			dev.Poll(true, nil)
		}
		if status != wgpu.BufferMapAsyncStatusSuccess {
			return fmt.Errorf("map binding %d: status %d", m.Buffers[i].Binding, status)
		}
		copy(out[i], st.GetMappedRange(0, uint(size)))
		if err := st.Unmap(); err != nil {
			return fmt.Errorf("unmap binding %d: %w", m.Buffers[i].Binding, err)
		}
	}
	return nil
}

// oneLine makes a wgpu error message, which spans lines, one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

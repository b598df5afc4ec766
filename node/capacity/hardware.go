package capacity

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// CPUInfo describes the processor as the CPUID instruction (or the OS, off x86)
// reports it. Counts the CPU does not report stay unknown.
type CPUInfo struct {
	Brand          string         `json:"brand,omitempty"`
	Vendor         string         `json:"vendor,omitempty"`
	Family         int            `json:"family,omitempty"`
	Model          int            `json:"model,omitempty"`
	PhysicalCores  Reading[int]   `json:"physical_cores,omitzero"`
	LogicalCores   Reading[int]   `json:"logical_cores,omitzero"`
	ThreadsPerCore Reading[int]   `json:"threads_per_core,omitzero"`
	BaseHz         Reading[int64] `json:"base_hz,omitzero"`
	BoostHz        Reading[int64] `json:"boost_hz,omitzero"`
	L3Bytes        Reading[int]   `json:"l3_bytes,omitzero"`
	Hypervisor     string         `json:"hypervisor,omitempty"`
	Features       []string       `json:"features,omitempty"`
}

// DetectCPU reads the processor through klauspost/cpuid.
func DetectCPU() CPUInfo {
	c := cpuid.CPU
	info := CPUInfo{
		Brand:      strings.TrimSpace(c.BrandName),
		Vendor:     c.VendorString,
		Family:     c.Family,
		Model:      c.Model,
		Hypervisor: c.HypervisorVendorString,
		Features:   c.FeatureSet(),
	}
	if info.Vendor == "" && c.VendorID != cpuid.VendorUnknown {
		info.Vendor = c.VendorID.String()
	}
	if c.PhysicalCores > 0 {
		info.PhysicalCores = Known(c.PhysicalCores)
	}
	if c.LogicalCores > 0 {
		info.LogicalCores = Known(c.LogicalCores)
	}
	// cpuid says 1 thread per core when it cannot tell; only a count it derived from
	// both core figures is a measurement.
	if c.PhysicalCores > 0 && c.LogicalCores > 0 {
		info.ThreadsPerCore = Known(c.ThreadsPerCore)
	}
	if c.Hz > 0 {
		info.BaseHz = Known(c.Hz)
	}
	if c.BoostFreq > 0 {
		info.BoostHz = Known(c.BoostFreq)
	}
	if c.Cache.L3 > 0 {
		info.L3Bytes = Known(c.Cache.L3)
	}
	return info
}

// Hardware is what the capacity probe reports about the machine: the source of the
// provider spec a node registers in the market (docs/market.md) and the input of the
// capacity check's fingerprint.
type Hardware struct {
	CPU CPUInfo `json:"cpu"`
	// UsableCores is the number of logical CPUs this process may run on.
	UsableCores int             `json:"usable_cores"`
	MemoryTotal Reading[uint64] `json:"memory_total,omitzero"`
	GPUs        Reading[[]GPU]  `json:"gpus,omitzero"`
	HasBattery  Reading[bool]   `json:"has_battery,omitzero"`
	OS          string          `json:"os"`
	Arch        string          `json:"arch"`
}

// DetectHardware measures the machine with the given probes (NewProbes when nil).
func DetectHardware(ctx context.Context, p *Probes) Hardware {
	if p == nil {
		p = NewProbes()
	}
	h := Hardware{CPU: DetectCPU(), UsableCores: p.Cores, OS: runtime.GOOS, Arch: runtime.GOARCH}
	if h.UsableCores <= 0 {
		h.UsableCores = runtime.NumCPU()
	}
	if p.Load != nil {
		if l, err := p.Load.Load(ctx); err == nil {
			h.MemoryTotal = l.MemoryTotal
		}
	}
	if p.GPU != nil {
		if gpus, err := p.GPU.GPUs(ctx); err == nil {
			h.GPUs = Known(gpus)
		}
	}
	if p.Power != nil {
		if pw, err := p.Power.Power(ctx); err == nil {
			h.HasBattery = pw.HasBattery
		}
	}
	return h
}

// Fingerprint identifies the hardware a capacity check measured: when it changes, the
// figures no longer hold.
type Fingerprint struct {
	CPU   string `json:"cpu"`
	Arch  string `json:"arch"`
	Cores int    `json:"cores"`
	// MemoryGiB is rounded to whole GiB: the kernel's total moves by a few MiB
	// between boots and versions without the hardware changing.
	MemoryGiB int      `json:"memory_gib"`
	GPUs      []string `json:"gpus,omitempty"`
}

// Fingerprint returns the hardware's fingerprint.
func (h Hardware) Fingerprint() Fingerprint {
	fp := Fingerprint{CPU: h.CPU.Brand, Arch: h.Arch, Cores: h.UsableCores}
	if fp.CPU == "" {
		fp.CPU = fmt.Sprintf("%s family %d model %d", h.CPU.Vendor, h.CPU.Family, h.CPU.Model)
	}
	if total, ok := h.MemoryTotal.Get(); ok {
		fp.MemoryGiB = int((total + 1<<29) >> 30)
	}
	gpus, _ := h.GPUs.Get()
	for _, g := range gpus {
		fp.GPUs = append(fp.GPUs, strings.TrimSpace(g.Vendor+" "+g.PCIID+" "+g.Name))
	}
	slices.Sort(fp.GPUs)
	return fp
}

// Equal reports whether two fingerprints describe the same hardware.
func (f Fingerprint) Equal(o Fingerprint) bool {
	return f.CPU == o.CPU && f.Arch == o.Arch && f.Cores == o.Cores && f.MemoryGiB == o.MemoryGiB && slices.Equal(f.GPUs, o.GPUs)
}

// String shows the fingerprint in one line.
func (f Fingerprint) String() string {
	s := fmt.Sprintf("%s, %d cores, %d GiB, %s", f.CPU, f.Cores, f.MemoryGiB, f.Arch)
	if len(f.GPUs) > 0 {
		s += ", " + strings.Join(f.GPUs, ", ")
	}
	return s
}

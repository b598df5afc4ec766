package capacity

import (
	"encoding/json"
	"fmt"
	"time"
)

// Sample is one look at the machine: what the probes measured at At. Every value the
// probes could not measure stays unknown; the governor reads nothing else.
type Sample struct {
	At time.Time
	// Cores is the number of logical CPUs this process may use; 0 when unknown.
	Cores int
	// UserIdle is the time since the last keyboard or mouse input.
	UserIdle Reading[time.Duration]
	// OtherCPU is the CPU used by programs other than this one and its children, in
	// percent of the whole machine (all cores busy = 100).
	OtherCPU Reading[float64]
	// OwnCPU is the CPU used by this process and its children, in percent of the
	// whole machine.
	OwnCPU Reading[float64]
	// MemoryTotal is the installed memory in bytes.
	MemoryTotal Reading[uint64]
	// OwnMemory is the resident memory of this process and its children in bytes.
	OwnMemory Reading[uint64]
	// CPUTemperature is the hottest CPU sensor in °C.
	CPUTemperature Reading[float64]
	Power          Power
	// Programs lists the exclusive programs (from the settings) found running.
	Programs Reading[[]string]
	// GPUs lists the graphics processors found; known and empty when there are none.
	GPUs Reading[[]GPU]
}

// Power is the state of the power supply.
type Power struct {
	// HasBattery reports a system battery (not a mouse's or a phone's).
	HasBattery Reading[bool]
	// OnBattery reports that no external power is connected.
	OnBattery Reading[bool]
	// Charge is the battery charge in percent.
	Charge Reading[float64]
}

// GPU is one graphics processor.
type GPU struct {
	// Vendor is "nvidia", "amd" or "intel", or the PCI vendor ID for others.
	Vendor string `json:"vendor"`
	// Name is the marketing name; empty when no tool or database names it.
	Name string `json:"name,omitempty"`
	// PCIID is vendor:device, e.g. "10de:2684"; empty when the source does not say.
	PCIID string `json:"pci_id,omitempty"`
	// Memory is the dedicated memory in bytes.
	Memory Reading[uint64] `json:"memory,omitzero"`
	// Temperature is in °C.
	Temperature Reading[float64] `json:"temperature,omitzero"`
	// Busy is the utilisation in percent.
	Busy Reading[float64] `json:"busy,omitzero"`
	// Source names where the values came from: "nvidia-smi" or "sysfs".
	Source string `json:"source"`
}

// hottestGPU returns the highest known GPU temperature.
func (s Sample) hottestGPU() Reading[float64] {
	gpus, _ := s.GPUs.Get()
	var hottest Reading[float64]
	for _, g := range gpus {
		if t, ok := g.Temperature.Get(); ok {
			if h, known := hottest.Get(); !known || t > h {
				hottest = Known(t)
			}
		}
	}
	return hottest
}

// sampleJSON is the recorded form of a Sample: durations as text ("4m0s") so a
// trace stays readable, unknown values left out.
type sampleJSON struct {
	At             time.Time         `json:"at"`
	Cores          int               `json:"cores,omitempty"`
	UserIdle       *string           `json:"idle,omitempty"`
	OtherCPU       Reading[float64]  `json:"other_cpu,omitzero"`
	OwnCPU         Reading[float64]  `json:"own_cpu,omitzero"`
	MemoryTotal    Reading[uint64]   `json:"memory_total,omitzero"`
	OwnMemory      Reading[uint64]   `json:"own_memory,omitzero"`
	CPUTemperature Reading[float64]  `json:"cpu_temp,omitzero"`
	HasBattery     Reading[bool]     `json:"has_battery,omitzero"`
	OnBattery      Reading[bool]     `json:"on_battery,omitzero"`
	Charge         Reading[float64]  `json:"charge,omitzero"`
	Programs       Reading[[]string] `json:"programs,omitzero"`
	GPUs           Reading[[]GPU]    `json:"gpus,omitzero"`
}

// MarshalJSON encodes the sample as one trace record.
func (s Sample) MarshalJSON() ([]byte, error) {
	w := sampleJSON{
		At: s.At, Cores: s.Cores,
		OtherCPU: s.OtherCPU, OwnCPU: s.OwnCPU,
		MemoryTotal: s.MemoryTotal, OwnMemory: s.OwnMemory,
		CPUTemperature: s.CPUTemperature,
		HasBattery:     s.Power.HasBattery, OnBattery: s.Power.OnBattery, Charge: s.Power.Charge,
		Programs: s.Programs, GPUs: s.GPUs,
	}
	if idle, ok := s.UserIdle.Get(); ok {
		text := idle.String()
		w.UserIdle = &text
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a trace record.
func (s *Sample) UnmarshalJSON(b []byte) error {
	var w sampleJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Sample{
		At: w.At, Cores: w.Cores,
		OtherCPU: w.OtherCPU, OwnCPU: w.OwnCPU,
		MemoryTotal: w.MemoryTotal, OwnMemory: w.OwnMemory,
		CPUTemperature: w.CPUTemperature,
		Power:          Power{HasBattery: w.HasBattery, OnBattery: w.OnBattery, Charge: w.Charge},
		Programs:       w.Programs, GPUs: w.GPUs,
	}
	if w.UserIdle != nil {
		idle, err := time.ParseDuration(*w.UserIdle)
		if err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		s.UserIdle = Known(idle)
	}
	return nil
}

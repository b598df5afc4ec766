package capacity

import (
	"context"
	"runtime"
	"sync"
	"time"
)

// IdleProbe tells how long ago the user last touched the keyboard or mouse.
// Implementations return ErrUnknown (wrapped) where the platform cannot say.
type IdleProbe interface {
	IdleTime(ctx context.Context) (time.Duration, error)
}

// PowerProbe tells whether the machine has a battery and runs on it. Fields it cannot
// measure stay unknown; the error is ErrUnknown when it can say nothing at all.
type PowerProbe interface {
	Power(ctx context.Context) (Power, error)
}

// TemperatureProbe reads the hottest CPU sensor in °C, or ErrUnknown.
type TemperatureProbe interface {
	CPUTemperature(ctx context.Context) (float64, error)
}

// LoadProbe measures CPU and memory use. CPU figures are averages since the previous
// call, so the first call leaves them unknown.
type LoadProbe interface {
	Load(ctx context.Context) (Load, error)
}

// Load is what a LoadProbe measures.
type Load struct {
	OtherCPU    Reading[float64] // percent of the machine, programs other than ours
	OwnCPU      Reading[float64] // percent of the machine, this process and its children
	MemoryTotal Reading[uint64]  // bytes installed
	OwnMemory   Reading[uint64]  // resident bytes of this process and its children
}

// ProgramProbe lists the names of the running programs.
type ProgramProbe interface {
	RunningPrograms(ctx context.Context) ([]string, error)
}

// GPUProbe lists the graphics processors; none found is an empty list, not an error.
type GPUProbe interface {
	GPUs(ctx context.Context) ([]GPU, error)
}

// unknownIdle is the idle probe of a platform without one.
type unknownIdle struct{}

func (unknownIdle) IdleTime(context.Context) (time.Duration, error) { return 0, ErrUnknown }

// unknownPower is the power probe of a platform without one.
type unknownPower struct{}

func (unknownPower) Power(context.Context) (Power, error) { return Power{}, ErrUnknown }

// DefaultGPUInterval is how long GPU readings are reused: the vendor tool takes tens
// of milliseconds, too slow to run every second.
const DefaultGPUInterval = 5 * time.Second

// Probes is the Sampler made of this platform's probes. A nil probe leaves its values
// unknown.
type Probes struct {
	Idle        IdleProbe
	Power       PowerProbe
	Temperature TemperatureProbe
	Load        LoadProbe
	Programs    ProgramProbe
	GPU         GPUProbe
	// Cores is the number of logical CPUs this process may use.
	Cores int
	// GPUInterval: 0 is DefaultGPUInterval.
	GPUInterval time.Duration
	// Now stamps samples; nil is time.Now.
	Now func() time.Time

	mu      sync.Mutex // guards the GPU cache
	gpus    Reading[[]GPU]
	gpuTime time.Time
}

// NewProbes returns the probes of this platform: the desktop's idle time, the power
// supply, gopsutil's sensors, CPU and processes, and the GPUs.
func NewProbes() *Probes {
	return &Probes{
		Idle:        defaultIdleProbe(),
		Power:       defaultPowerProbe(),
		Temperature: SensorTemperatureProbe{},
		Load:        NewProcessLoadProbe(),
		Programs:    ProcessProgramProbe{},
		GPU:         defaultGPUProbe(),
		Cores:       runtime.NumCPU(),
	}
}

// IdleTime asks the idle probe.
func (p *Probes) IdleTime(ctx context.Context) (time.Duration, error) {
	if p.Idle == nil {
		return 0, ErrUnknown
	}
	return p.Idle.IdleTime(ctx)
}

// Sample asks every probe. Errors become unknown values: a sample is never refused.
func (p *Probes) Sample(ctx context.Context, programs []string) Sample {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	s := Sample{At: now(), Cores: p.Cores}
	if idle, err := p.IdleTime(ctx); err == nil {
		s.UserIdle = Known(idle)
	}
	if p.Power != nil {
		s.Power, _ = p.Power.Power(ctx)
	}
	if p.Temperature != nil {
		if t, err := p.Temperature.CPUTemperature(ctx); err == nil {
			s.CPUTemperature = Known(t)
		}
	}
	if p.Load != nil {
		if l, err := p.Load.Load(ctx); err == nil {
			s.OtherCPU, s.OwnCPU, s.MemoryTotal, s.OwnMemory = l.OtherCPU, l.OwnCPU, l.MemoryTotal, l.OwnMemory
		}
	}
	if p.Programs != nil && len(programs) > 0 {
		if names, err := p.Programs.RunningPrograms(ctx); err == nil {
			s.Programs = Known(matchPrograms(names, programs))
		}
	}
	s.GPUs = p.cachedGPUs(ctx, s.At)
	return s
}

func (p *Probes) cachedGPUs(ctx context.Context, now time.Time) Reading[[]GPU] {
	if p.GPU == nil {
		return Reading[[]GPU]{}
	}
	interval := p.GPUInterval
	if interval <= 0 {
		interval = DefaultGPUInterval
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.gpuTime.IsZero() && now.Sub(p.gpuTime) < interval && now.Sub(p.gpuTime) >= 0 {
		return p.gpus
	}
	p.gpus = Reading[[]GPU]{}
	if gpus, err := p.GPU.GPUs(ctx); err == nil {
		p.gpus = Known(gpus)
	}
	p.gpuTime = now
	return p.gpus
}

// matchPrograms returns the wanted names (as the settings spell them) that run.
func matchPrograms(running, wanted []string) []string {
	seen := make(map[string]bool, len(running))
	for _, name := range running {
		seen[programKey(name)] = true
	}
	found := []string{}
	for _, name := range wanted {
		if seen[programKey(name)] {
			found = append(found, name)
		}
	}
	return found
}

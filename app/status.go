package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/version"
)

// Status is what `daoli status` reports. The node section is filled in by the running
// node's control API once it exists; without a node, the machine and the sharing
// decision are still measured here.
type Status struct {
	Version string     `json:"version"`
	DataDir string     `json:"data_dir"`
	Node    NodeStatus `json:"node"`
	// The node's headline figures, present while a node runs for the data directory.
	Height        *uint64               `json:"height,omitempty"`
	Address       *keys.Address         `json:"address,omitempty"`
	Balance       *uint64               `json:"balance,omitempty"`
	Wins          *int                  `json:"wins,omitempty"`
	Peers         *int                  `json:"peers,omitempty"`
	Machine       capacity.Hardware     `json:"machine"`
	Sample        capacity.Sample       `json:"sample"`
	Sharing       SharingStatus         `json:"sharing"`
	CapacityCheck *capacity.CheckResult `json:"capacity_check"`
}

// NodeStatus says whether a node runs for this data directory and, if one does, what
// its control API reports.
type NodeStatus struct {
	Running bool `json:"running"`
	*control.Status
}

// SharingStatus is the governor's decision under the saved settings.
type SharingStatus struct {
	Preset        capacity.Preset   `json:"preset"`
	SettingsSaved bool              `json:"settings_saved"`
	Decision      capacity.Decision `json:"decision"`
}

// loadInterval is how long status watches the CPU: percentages need two readings.
const loadInterval = 500 * time.Millisecond

// collectStatus measures the machine and asks the governor what it would allow now.
func collectStatus(ctx context.Context, dataDir string) (*Status, error) {
	settingsStore := capacity.FileSettingsStore{Path: filepath.Join(dataDir, sharingSettingsFile)}
	probes := capacity.NewProbes()
	hw := capacity.DetectHardware(ctx, probes)

	st := &Status{Version: version.String(), DataDir: dataDir, Machine: hw}
	if cl, err := control.Dial(dataDir); err == nil {
		ns, err := cl.Status(ctx)
		if err != nil {
			return nil, fmt.Errorf("ask the running node: %w", err)
		}
		st.Node = NodeStatus{Running: true, Status: &ns}
		st.Height, st.Address, st.Balance, st.Wins, st.Peers = &ns.Height, &ns.Address, &ns.Balance, &ns.Wins, &ns.Peers
	}
	settings, err := settingsStore.Load()
	switch {
	case err == nil:
		st.Sharing.SettingsSaved = true
	case errors.Is(err, capacity.ErrNotFound):
		settings = capacity.DefaultSettings(hw.UsableCores)
	default:
		return nil, err
	}
	settings = settings.ForMachine(hw.UsableCores)

	// The first load reading only sets the baseline the second is measured against.
	probes.Sample(ctx, settings.ExclusivePrograms)
	select {
	case <-time.After(loadInterval):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	st.Sample = probes.Sample(ctx, settings.ExclusivePrograms)
	st.Sharing.Preset = settings.Preset
	st.Sharing.Decision = capacity.Decide(settings, st.Sample, capacity.StartingDecision(st.Sample.At), st.Sample.At)

	check, err := capacity.FileCheckStore{Path: filepath.Join(dataDir, capacityCheckFile)}.LoadCheck()
	switch {
	case err == nil:
		st.CapacityCheck = &check
	case errors.Is(err, capacity.ErrNotFound):
	default:
		return nil, err
	}
	return st, nil
}

func writeStatusJSON(w io.Writer, st *Status) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

func writeStatusText(w io.Writer, st *Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	fmt.Fprintf(tw, "Daoli %s\n", st.Version)
	fmt.Fprintf(tw, "Data directory %s\n", st.DataDir)
	if n := st.Node.Status; st.Node.Running && n != nil {
		fmt.Fprintln(tw, "\nNode: running")
		network := n.Network
		if n.Demo {
			network += " (local demo network)"
		}
		line("Network", network)
		sync := "catching up"
		if n.Synced {
			sync = "in sync"
		}
		line("Height", fmt.Sprintf("%d of %d, %s", n.Height, n.Target, sync))
		line("Peers", fmt.Sprintf("%d (%d trustees)", n.Peers, n.Trustees))
		line("Wallet", n.Address.String())
		line("Balance", fmt.Sprintf("%d (proven at block %d)", n.Balance, n.BalanceHeight))
		line("Earned", fmt.Sprintf("%d: %d wins, %d payroll wages", n.Earned, n.Wins, n.Payrolls))
		if n.LastError != "" {
			line("Last problem", n.LastError)
		}
	} else {
		fmt.Fprintln(tw, "Node: not running (start it with `daoli node`, or open the app)")
	}

	fmt.Fprintln(tw, "\nMachine")
	cpu := st.Machine.CPU.Brand
	if cpu == "" {
		cpu = "unknown model"
	}
	line("CPU", fmt.Sprintf("%s, %d usable cores", cpu, st.Machine.UsableCores))
	line("Memory", readingText(st.Machine.MemoryTotal, func(b uint64) string { return formatBytes(b) }))
	line("GPUs", readingText(st.Machine.GPUs, func(gs []capacity.GPU) string {
		if len(gs) == 0 {
			return "none"
		}
		names := make([]string, len(gs))
		for i, g := range gs {
			names[i] = strings.TrimSpace(g.Vendor + " " + g.Name)
		}
		return strings.Join(names, ", ")
	}))
	s := st.Sample
	line("Power", powerText(s.Power))
	line("Temperature", readingText(s.CPUTemperature, func(c float64) string { return fmt.Sprintf("%.0f °C", c) }))
	line("Last input", readingText(s.UserIdle, func(d time.Duration) string { return d.Round(time.Second).String() + " ago" }))
	line("Other programs", readingText(s.OtherCPU, func(p float64) string { return fmt.Sprintf("%.0f %% CPU", p) }))

	fmt.Fprintln(tw, "\nSharing")
	preset := string(st.Sharing.Preset)
	if !st.Sharing.SettingsSaved {
		preset += " (default; not chosen yet)"
	}
	line("Preset", preset)
	line("Decision", st.Sharing.Decision.Reason)
	line("GPU", st.Sharing.Decision.GPU.Reason)

	fmt.Fprintln(tw, "\nCapacity check")
	if c := st.CapacityCheck; c != nil {
		line("Miner", throughputText(c.Miner))
		line("Jobs", throughputText(c.Job))
		line("Measured", c.At.Local().Format(time.DateTime))
	} else {
		line("Result", "not run yet")
	}
	return tw.Flush()
}

func readingText[T any](r capacity.Reading[T], format func(T) string) string {
	v, ok := r.Get()
	if !ok {
		return "unknown"
	}
	return format(v)
}

func powerText(p capacity.Power) string {
	has, ok := p.HasBattery.Get()
	switch {
	case !ok:
		return "unknown"
	case !has:
		return "no battery"
	}
	src := readingText(p.OnBattery, func(b bool) string {
		if b {
			return "on battery"
		}
		return "plugged in"
	})
	if c, ok := p.Charge.Get(); ok {
		src += fmt.Sprintf(", %.0f %%", c)
	}
	return src
}

func throughputText(t capacity.Throughput) string {
	return fmt.Sprintf("%s %s on one core, %s %s on %d cores", formatCount(t.SingleCore), t.Unit, formatCount(t.AllCores), t.Unit, t.Cores)
}

func formatCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2f G", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func formatBytes(b uint64) string {
	const gib = 1 << 30
	if b >= gib {
		return fmt.Sprintf("%.1f GiB", float64(b)/gib)
	}
	return fmt.Sprintf("%d MiB", b>>20)
}

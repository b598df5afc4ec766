package capacity

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/host"
)

// writeTree creates files under a temporary root: a fake sysfs.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for path, content := range files {
		full := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSysfsPowerProbe(t *testing.T) {
	const ps = "class/power_supply/"
	tests := []struct {
		name  string
		files map[string]string
		want  Power
	}{
		{"laptop on mains, mouse battery ignored", map[string]string{
			ps + "BAT0/type": "Battery", ps + "BAT0/status": "Charging",
			ps + "BAT0/energy_now": "30000000", ps + "BAT0/energy_full": "50000000", ps + "BAT0/capacity": "61",
			ps + "AC/type": "Mains", ps + "AC/online": "1",
			ps + "hidpp_battery_0/type": "Battery", ps + "hidpp_battery_0/scope": "Device", ps + "hidpp_battery_0/capacity": "5",
		}, Power{HasBattery: Known(true), OnBattery: Known(false), Charge: Known(60.0)}},
		{"laptop on battery, capacity only", map[string]string{
			ps + "BAT1/type": "Battery", ps + "BAT1/status": "Discharging", ps + "BAT1/capacity": "42",
			ps + "ADP1/type": "Mains", ps + "ADP1/online": "0",
		}, Power{HasBattery: Known(true), OnBattery: Known(true), Charge: Known(42.0)}},
		{"USB-C charger online", map[string]string{
			ps + "BAT0/type": "Battery", ps + "BAT0/status": "Not charging", ps + "BAT0/capacity": "80",
			ps + "ucsi-source-psy-USBC000:001/type": "USB", ps + "ucsi-source-psy-USBC000:001/online": "1",
			ps + "AC/type": "Mains", ps + "AC/online": "0",
		}, Power{HasBattery: Known(true), OnBattery: Known(false), Charge: Known(80.0)}},
		{"two batteries, no supply listed, weighted by energy", map[string]string{
			ps + "BAT0/type": "Battery", ps + "BAT0/status": "Discharging",
			ps + "BAT0/charge_now": "1000000", ps + "BAT0/charge_full": "4000000",
			ps + "BAT1/type": "Battery", ps + "BAT1/status": "Unknown",
			ps + "BAT1/charge_now": "3000000", ps + "BAT1/charge_full": "4000000",
		}, Power{HasBattery: Known(true), OnBattery: Known(true), Charge: Known(50.0)}},
		{"battery that says nothing", map[string]string{
			ps + "BAT0/type": "Battery", ps + "BAT0/status": "Unknown",
		}, Power{HasBattery: Known(true)}},
		{"desktop: mains only", map[string]string{
			ps + "AC/type": "Mains", ps + "AC/online": "1",
		}, Power{HasBattery: Known(false), OnBattery: Known(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SysfsPowerProbe{Root: writeTree(t, tt.files)}.Power(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Power = %+v\nwant    %+v", got, tt.want)
			}
		})
	}

	empty := t.TempDir()
	if err := os.MkdirAll(filepath.Join(empty, "class", "power_supply"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := SysfsPowerProbe{Root: empty}.Power(context.Background())
	if err != nil || got != (Power{HasBattery: Known(false), OnBattery: Known(false)}) {
		t.Errorf("empty power supply class: %+v, %v", got, err)
	}
	if _, err := (SysfsPowerProbe{Root: t.TempDir()}).Power(context.Background()); !errors.Is(err, ErrUnknown) {
		t.Errorf("no power supply class: %v, want ErrUnknown", err)
	}
}

func TestParsePmset(t *testing.T) {
	tests := []struct {
		name, out string
		want      Power
	}{
		{"MacBook on battery", "Now drawing from 'Battery Power'\n -InternalBattery-0 (id=4653155)\t85%; discharging; 4:47 remaining present: true\n",
			Power{HasBattery: Known(true), OnBattery: Known(true), Charge: Known(85.0)}},
		{"MacBook charging", "Now drawing from 'AC Power'\n -InternalBattery-0 (id=4653155)\t100%; charged; 0:00 remaining present: true\n",
			Power{HasBattery: Known(true), OnBattery: Known(false), Charge: Known(100.0)}},
		{"Mac mini", "Now drawing from 'AC Power'\n", Power{HasBattery: Known(false), OnBattery: Known(false)}},
	}
	for _, tt := range tests {
		got, err := parsePmset([]byte(tt.out))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
	if _, err := parsePmset([]byte("pmset: command failed\n")); !errors.Is(err, ErrUnknown) {
		t.Errorf("garbage: %v", err)
	}
}

func TestParseHIDIdleTime(t *testing.T) {
	out := `+-o IOHIDSystem  <class IOHIDSystem, id 0x100000482, registered, matched, active, busy 0 (0 ms), retain 21>
    {
      "HIDIdleTimeDelta" = 0
      "HIDIdleTime" = 12583960541
    }
`
	got, err := parseHIDIdleTime([]byte(out))
	if err != nil || got != 12583960541*time.Nanosecond {
		t.Errorf("parseHIDIdleTime = %v, %v", got, err)
	}
	if _, err := parseHIDIdleTime([]byte("nothing here")); !errors.Is(err, ErrUnknown) {
		t.Errorf("no key: %v", err)
	}
}

func TestCPUTemperatureSelection(t *testing.T) {
	tests := []struct {
		name  string
		stats []host.TemperatureStat
		want  float64
		known bool
	}{
		{"Intel cores, NVMe hotter but ignored", []host.TemperatureStat{
			{SensorKey: "coretemp_package_id_0", Temperature: 71}, {SensorKey: "coretemp_core_1", Temperature: 74},
			{SensorKey: "nvme_composite", Temperature: 80}, {SensorKey: "iwlwifi_1", Temperature: 45},
		}, 74, true},
		{"AMD Tctl", []host.TemperatureStat{{SensorKey: "k10temp_tctl", Temperature: 66.5}, {SensorKey: "amdgpu_edge", Temperature: 90}}, 66.5, true},
		{"thermal zone only", []host.TemperatureStat{{SensorKey: "acpitz", Temperature: 52}, {SensorKey: "nvme_composite", Temperature: 40}}, 52, true},
		{"zero readings are missing sensors", []host.TemperatureStat{{SensorKey: "coretemp_core_0", Temperature: 0}}, 0, false},
		{"none", nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := cpuTemperature(tt.stats)
		if got != tt.want || ok != tt.known {
			t.Errorf("%s: %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.known)
		}
	}
}

func TestSystemGPUProbe(t *testing.T) {
	const drm = "class/drm/"
	root := writeTree(t, map[string]string{
		drm + "card0/device/vendor": "0x1002", drm + "card0/device/device": "0x73bf",
		drm + "card0/device/mem_info_vram_total": "17163091968", drm + "card0/device/gpu_busy_percent": "3",
		drm + "card0/device/hwmon/hwmon4/temp1_input": "48000",
		drm + "card0-DP-1/status":                     "connected",
		drm + "card1/device/vendor":                   "0x8086", drm + "card1/device/device": "0x9a49",
		drm + "card2/device/vendor": "0x1af4", drm + "card2/device/device": "0x1050", // virtio display
		drm + "card3/device/vendor": "0x10de", drm + "card3/device/device": "0x2684",
	})
	ids := filepath.Join(t.TempDir(), "pci.ids")
	if err := os.WriteFile(ids, []byte(`# pci.ids excerpt
1002  Advanced Micro Devices, Inc. [AMD/ATI]
	73a5  Navi 21 [Radeon RX 6950 XT]
	73bf  Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]
		1002 0e3a  Radeon RX 6900 XT
10de  NVIDIA Corporation
	2684  AD102 [GeForce RTX 4090]
8086  Intel Corporation
	9a40  TigerLake-LP GT2 [Iris Xe Graphics]
`), 0o644); err != nil {
		t.Fatal(err)
	}

	// Without nvidia-smi, sysfs lists all three makers and skips the VM display.
	got, err := SystemGPUProbe{SysRoot: root, NvidiaSMI: "/nonexistent/nvidia-smi", PCIIDs: []string{ids}}.GPUs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []GPU{
		{Vendor: "amd", Name: "Navi 21 [Radeon RX 6800/6800 XT / 6900 XT]", PCIID: "1002:73bf",
			Memory: Known(uint64(17163091968)), Temperature: Known(48.0), Busy: Known(3.0), Source: "sysfs"},
		{Vendor: "intel", PCIID: "8086:9a49", Source: "sysfs"},
		{Vendor: "nvidia", Name: "AD102 [GeForce RTX 4090]", PCIID: "10de:2684", Source: "sysfs"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sysfs GPUs:\n got %+v\nwant %+v", got, want)
	}

	// With nvidia-smi, its richer line replaces the NVIDIA card from sysfs.
	smi := filepath.Join(t.TempDir(), "nvidia-smi")
	script := "#!/bin/sh\necho 'NVIDIA GeForce RTX 4090, 0x268410DE, 24564, 41, 7'\n"
	if err := os.WriteFile(smi, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err = SystemGPUProbe{SysRoot: root, NvidiaSMI: smi, PCIIDs: []string{ids}}.GPUs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Source != "nvidia-smi" || got[0].Name != "NVIDIA GeForce RTX 4090" ||
		got[0].PCIID != "10de:2684" || got[0].Memory != Known(uint64(24564)<<20) || got[0].Temperature != Known(41.0) {
		t.Errorf("with nvidia-smi: %+v", got)
	}

	// No source that could look: unknown, not "no GPU".
	if _, err := (SystemGPUProbe{SysRoot: t.TempDir(), NvidiaSMI: "/nonexistent/nvidia-smi"}).GPUs(context.Background()); !errors.Is(err, ErrUnknown) {
		t.Errorf("no DRM class and no nvidia-smi: %v, want ErrUnknown", err)
	}
	// No DRM class, but a PCI bus with no GPU maker's display controller (a VM's
	// devices, an AMD network card): known none. An NVIDIA display controller without
	// a driver, or a device whose class cannot be read: unknown.
	const pci = "bus/pci/devices/"
	vm := writeTree(t, map[string]string{
		pci + "0000:00:00.0/class": "0x060000", pci + "0000:00:00.0/vendor": "0x8086",
		pci + "0000:00:02.0/class": "0x030000", pci + "0000:00:02.0/vendor": "0x1af4",
		pci + "0000:00:03.0/class": "0x020000", pci + "0000:00:03.0/vendor": "0x1022",
	})
	if got, err := (SystemGPUProbe{SysRoot: vm, NvidiaSMI: "/nonexistent/nvidia-smi"}).GPUs(context.Background()); err != nil || len(got) != 0 {
		t.Errorf("VM PCI bus without a GPU: %+v, %v", got, err)
	}
	for name, tree := range map[string]map[string]string{
		"an NVIDIA display controller without a driver": {
			pci + "0000:00:00.0/class": "0x060000", pci + "0000:00:00.0/vendor": "0x8086",
			pci + "0000:01:00.0/class": "0x030000", pci + "0000:01:00.0/vendor": "0x10de",
		},
		"a device without a class": {pci + "0000:00:00.0/vendor": "0x8086"},
	} {
		if _, err := (SystemGPUProbe{SysRoot: writeTree(t, tree), NvidiaSMI: "/nonexistent/nvidia-smi"}).GPUs(context.Background()); !errors.Is(err, ErrUnknown) {
			t.Errorf("%s: %v, want ErrUnknown", name, err)
		}
	}
	// A DRM class without GPUs: known none.
	none := writeTree(t, map[string]string{drm + "card0/device/vendor": "0x1234"})
	if got, err := (SystemGPUProbe{SysRoot: none, NvidiaSMI: "/nonexistent/nvidia-smi"}).GPUs(context.Background()); err != nil || len(got) != 0 {
		t.Errorf("VM display only: %+v, %v", got, err)
	}
}

func TestParseNvidiaSMI(t *testing.T) {
	out := "NVIDIA A100-SXM4-40GB, 0x20B010DE, 40960, 34, 0\nNVIDIA GeForce GTX 1050, 0x1C8D10DE, 4096, [N/A], [Not Supported]\n"
	got, err := parseNvidiaSMI([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Temperature.IsKnown() || got[1].Busy.IsKnown() || got[1].PCIID != "10de:1c8d" {
		t.Errorf("parseNvidiaSMI = %+v", got)
	}
	if _, err := parseNvidiaSMI([]byte("NVIDIA-SMI has failed\n")); !errors.Is(err, ErrUnknown) {
		t.Errorf("error output: %v", err)
	}
}

func TestProbesSampleKeepsUnknowns(t *testing.T) {
	p := &Probes{Cores: 4, Now: func() time.Time { return monday }}
	s := p.Sample(context.Background(), []string{"zoom"})
	if s.UserIdle.IsKnown() || s.CPUTemperature.IsKnown() || s.Power.OnBattery.IsKnown() ||
		s.OtherCPU.IsKnown() || s.Programs.IsKnown() || s.GPUs.IsKnown() {
		t.Errorf("a sample without probes knows something: %+v", s)
	}
	if s.Cores != 4 || !s.At.Equal(monday) {
		t.Errorf("cores %d at %v", s.Cores, s.At)
	}
	if got := matchPrograms([]string{"bash", "Zoom.exe", "obs"}, []string{"zoom", "OBS", "steam"}); !reflect.DeepEqual(got, []string{"zoom", "OBS"}) {
		t.Errorf("matchPrograms = %v", got)
	}
}

func TestSampleJSONRoundTrip(t *testing.T) {
	s := Sample{
		At: monday, Cores: 8, UserIdle: Known(4*time.Minute + 500*time.Millisecond),
		OtherCPU: Known(12.5), CPUTemperature: Known(61.0),
		Power:    Power{HasBattery: Known(true), OnBattery: Known(false), Charge: Known(77.0)},
		Programs: Known([]string{"zoom"}),
		GPUs:     Known([]GPU{{Vendor: "amd", PCIID: "1002:73bf", Memory: Known(uint64(1 << 34)), Source: "sysfs"}}),
	}
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got Sample
	if err := got.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n%s\n got %+v\nwant %+v", b, got, s)
	}
}

func TestReadingJSON(t *testing.T) {
	var none Reading[[]string]
	for _, tt := range []struct {
		in   Reading[[]string]
		want string
	}{{none, "null"}, {Known([]string(nil)), "[]"}, {Known([]string{"a"}), `["a"]`}} {
		b, err := tt.in.MarshalJSON()
		if err != nil || string(b) != tt.want {
			t.Errorf("%v encodes as %s, want %s", tt.in, b, tt.want)
		}
		var back Reading[[]string]
		if err := back.UnmarshalJSON(b); err != nil || back.IsKnown() != tt.in.IsKnown() {
			t.Errorf("%s decodes as %v", b, back)
		}
	}
}

package capacity

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// PCI vendor IDs of the GPU makers the probes know.
const (
	vendorNVIDIA = "10de"
	vendorAMD    = "1002"
	vendorIntel  = "8086"
)

var vendorNames = map[string]string{vendorNVIDIA: "nvidia", vendorAMD: "amd", vendorIntel: "intel"}

// SystemGPUProbe finds GPUs with nvidia-smi when it is on the PATH, and through the
// Linux DRM class in sysfs for AMD and Intel (and NVIDIA without its tool). Virtual
// display adapters of VMs and server management chips have other vendor IDs and are
// not GPUs one could compute on, so they are left out.
type SystemGPUProbe struct {
	// SysRoot is the sysfs mount ("/sys"); empty skips sysfs.
	SysRoot string
	// NvidiaSMI is the nvidia-smi command; empty looks it up on the PATH.
	NvidiaSMI string
	// PCIIDs lists pci.ids files to name devices; nil uses the usual locations.
	PCIIDs []string
}

// GPUs lists the GPUs found. The list is empty only when a source could look and
// found none: the DRM class of sysfs exists, nvidia-smi answered, or the PCI bus in
// sysfs lists no display controller of a GPU maker (a VM without a graphics device; a
// GPU is on that bus whether or not a driver is loaded). With none of these, as
// outside Linux without an NVIDIA GPU, it returns ErrUnknown rather than claim there
// is no GPU.
func (p SystemGPUProbe) GPUs(ctx context.Context) ([]GPU, error) {
	gpus := []GPU{}
	looked := false
	smi := p.NvidiaSMI
	if smi == "" {
		smi, _ = exec.LookPath("nvidia-smi")
	}
	nvidiaListed := false
	if smi != "" {
		if out, err := exec.CommandContext(ctx, smi, nvidiaQuery...).Output(); err == nil {
			if found, err := parseNvidiaSMI(out); err == nil {
				gpus = append(gpus, found...)
				nvidiaListed = len(found) > 0
				looked = looked || nvidiaListed
			}
		}
	}
	if p.SysRoot != "" {
		found, readable, err := p.drmGPUs()
		if err != nil {
			return nil, err
		}
		looked = looked || readable
		for _, g := range found {
			if nvidiaListed && g.Vendor == "nvidia" {
				continue
			}
			gpus = append(gpus, g)
		}
	}
	if !looked && p.SysRoot != "" && len(gpus) == 0 {
		looked = p.noPCIDisplay()
	}
	if !looked {
		return nil, fmt.Errorf("no GPU source (nvidia-smi, sysfs DRM, sysfs PCI): %w", ErrUnknown)
	}
	return gpus, nil
}

var nvidiaQuery = []string{
	"--query-gpu=name,pci.device_id,memory.total,temperature.gpu,utilization.gpu",
	"--format=csv,noheader,nounits",
}

// parseNvidiaSMI reads nvidia-smi's CSV: "NVIDIA GeForce RTX 4090, 0x268410DE, 24564,
// 41, 3". Fields a GPU does not support read "[N/A]" or "[Not Supported]".
func parseNvidiaSMI(out []byte) ([]GPU, error) {
	r := csv.NewReader(strings.NewReader(string(out)))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = len(strings.Split(strings.TrimPrefix(nvidiaQuery[0], "--query-gpu="), ","))
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("nvidia-smi output: %w: %w", ErrUnknown, err)
	}
	gpus := []GPU{}
	for _, rec := range records {
		g := GPU{Vendor: "nvidia", Name: strings.TrimSpace(rec[0]), Source: "nvidia-smi"}
		if id, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(rec[1]), "0x"), 16, 32); err == nil {
			g.PCIID = fmt.Sprintf("%04x:%04x", id&0xffff, id>>16)
		}
		if mib, ok := parseSMINumber(rec[2]); ok {
			g.Memory = Known(uint64(mib) << 20)
		}
		if t, ok := parseSMINumber(rec[3]); ok {
			g.Temperature = Known(t)
		}
		if busy, ok := parseSMINumber(rec[4]); ok {
			g.Busy = Known(busy)
		}
		gpus = append(gpus, g)
	}
	return gpus, nil
}

func parseSMINumber(field string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
	return v, err == nil
}

var drmCard = regexp.MustCompile(`^card[0-9]+$`)

// drmGPUs reads /sys/class/drm/card*/device: vendor, device, and where the driver
// exposes them (amdgpu) the VRAM size, utilisation and temperature. readable is false
// when there is no DRM class to read.
func (p SystemGPUProbe) drmGPUs() (gpus []GPU, readable bool, err error) {
	dir := filepath.Join(p.SysRoot, "class", "drm")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("drm: %w: %w", ErrUnknown, err)
	}
	var names []string
	for _, e := range entries {
		if drmCard.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		dev := filepath.Join(dir, name, "device")
		vendor := strings.TrimPrefix(readTrimmed(filepath.Join(dev, "vendor")), "0x")
		vendorName, known := vendorNames[vendor]
		if !known {
			continue
		}
		device := strings.TrimPrefix(readTrimmed(filepath.Join(dev, "device")), "0x")
		g := GPU{Vendor: vendorName, PCIID: vendor + ":" + device, Source: "sysfs"}
		g.Name = lookupPCIName(p.pciIDFiles(), vendor, device)
		if v, err := strconv.ParseUint(readTrimmed(filepath.Join(dev, "mem_info_vram_total")), 10, 64); err == nil && v > 0 {
			g.Memory = Known(v)
		}
		if v, err := strconv.ParseFloat(readTrimmed(filepath.Join(dev, "gpu_busy_percent")), 64); err == nil {
			g.Busy = Known(v)
		}
		if inputs, _ := filepath.Glob(filepath.Join(dev, "hwmon", "hwmon*", "temp1_input")); len(inputs) > 0 {
			if v, err := strconv.ParseFloat(readTrimmed(inputs[0]), 64); err == nil {
				g.Temperature = Known(v / 1000)
			}
		}
		gpus = append(gpus, g)
	}
	return gpus, true, nil
}

// noPCIDisplay reports whether the PCI bus in sysfs is readable and lists no display
// controller (class 0x03) of a GPU maker: then the machine has no GPU, driver or not.
func (p SystemGPUProbe) noPCIDisplay() bool {
	dir := filepath.Join(p.SysRoot, "bus", "pci", "devices")
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return false
	}
	for _, e := range entries {
		class := readTrimmed(filepath.Join(dir, e.Name(), "class"))
		if class == "" {
			return false // a device it cannot read might be the GPU
		}
		vendor := strings.TrimPrefix(readTrimmed(filepath.Join(dir, e.Name(), "vendor")), "0x")
		if _, known := vendorNames[vendor]; known && strings.HasPrefix(class, "0x03") {
			return false
		}
	}
	return true
}

func (p SystemGPUProbe) pciIDFiles() []string {
	if p.PCIIDs != nil {
		return p.PCIIDs
	}
	return []string{"/usr/share/hwdata/pci.ids", "/usr/share/misc/pci.ids", "/usr/share/pci.ids"}
}

// lookupPCIName finds a device's name in the first readable pci.ids database; ""
// when no database names it. The format: a vendor line "10de  NVIDIA Corporation"
// followed by its devices, each "\t2684  AD102 [GeForce RTX 4090]".
func lookupPCIName(files []string, vendor, device string) string {
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		name := scanPCIIDs(bufio.NewScanner(f), vendor, device)
		f.Close()
		return name
	}
	return ""
}

func scanPCIIDs(sc *bufio.Scanner, vendor, device string) string {
	inVendor := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] != '\t' {
			if inVendor {
				return ""
			}
			inVendor = strings.HasPrefix(line, vendor+"  ")
			continue
		}
		if inVendor && len(line) > 1 && line[1] != '\t' && strings.HasPrefix(line[1:], device+"  ") {
			return strings.TrimSpace(line[1+len(device):])
		}
	}
	return ""
}

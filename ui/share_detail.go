package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// detailForm edits the governor's detail; saving makes the preset custom.
type detailForm struct {
	mode, gpuMode                      *widget.Select
	inUseAfter                         *widget.Entry // minutes
	inUseCores, inUseDuty              *widget.Entry
	idleCores, idleDuty                *widget.Entry
	otherCPU, minCharge                *widget.Entry
	tempCeiling, tempResume, memoryCap *widget.Entry
	programs                           *widget.Entry // comma-separated
	windows                            *widget.Entry // comma-separated, "Mon 09:00–17:00"
	onBattery, gpuWhileInUse           *widget.Check
	save                               *widget.Button
	note                               *widget.Label // what saving did, beside the button
}

var runModes = []string{"auto", "always", "never"}

func (f *detailForm) build(s *Share) fyne.CanvasObject {
	f.mode, f.gpuMode = widget.NewSelect(runModes, nil), widget.NewSelect(runModes, nil)
	for _, e := range []**widget.Entry{&f.inUseAfter, &f.inUseCores, &f.inUseDuty, &f.idleCores, &f.idleDuty, &f.otherCPU,
		&f.minCharge, &f.tempCeiling, &f.tempResume, &f.memoryCap, &f.programs, &f.windows} {
		*e = widget.NewEntry()
	}
	f.programs.SetPlaceHolder("names from the process list, separated by commas")
	f.windows.SetPlaceHolder("any time; or e.g. Mon 22:00–24:00, Tue 00:00–07:00")
	f.onBattery = widget.NewCheck("Pause on battery", nil)
	f.gpuWhileInUse = widget.NewCheck("Let the graphics processor work while the computer is in use", nil)
	f.save = widget.NewButton("Save the detail", func() { s.saveDetail() })
	pair := func(a, b *widget.Entry, between string) fyne.CanvasObject {
		return container.NewGridWithColumns(3, a, widget.NewLabel(between), b)
	}
	form := widget.NewForm(
		widget.NewFormItem("Run mode", f.mode),
		widget.NewFormItem("In use: input within (minutes)", f.inUseAfter),
		widget.NewFormItem("While in use: cores", pair(f.inUseCores, f.inUseDuty, "at duty %")),
		widget.NewFormItem("When idle: cores", pair(f.idleCores, f.idleDuty, "at duty %")),
		widget.NewFormItem("Pause above other programs' CPU %", f.otherCPU),
		widget.NewFormItem("Battery", container.NewGridWithColumns(3, f.onBattery, widget.NewLabel("or below charge %"), f.minCharge)),
		widget.NewFormItem("Temperature °C", pair(f.tempCeiling, f.tempResume, "pause at, resume below")),
		widget.NewFormItem("Jobs' memory cap %", f.memoryCap),
		widget.NewFormItem("Pause while running", f.programs),
		widget.NewFormItem("Only during", f.windows),
		widget.NewFormItem("Graphics processor", container.NewVBox(f.gpuMode, f.gpuWhileInUse)),
	)
	f.note = widget.NewLabel("")
	f.note.Wrapping = fyne.TextWrapWord
	return container.NewVBox(form, container.NewHBox(f.save), f.note)
}

// fill shows d.
func (f *detailForm) fill(d SharingDetail) {
	num := func(x float64) string { return strconvFormat(x) }
	f.mode.SetSelected(d.Mode)
	f.gpuMode.SetSelected(d.GPUMode)
	f.inUseAfter.SetText(num(d.InUseAfter.Minutes()))
	f.inUseCores.SetText(fmt.Sprint(d.InUseCores))
	f.inUseDuty.SetText(num(d.InUseDuty))
	f.idleCores.SetText(fmt.Sprint(d.IdleCores))
	f.idleDuty.SetText(num(d.IdleDuty))
	f.otherCPU.SetText(num(d.PauseAboveOtherCPU))
	f.onBattery.SetChecked(d.PauseOnBattery)
	f.minCharge.SetText(num(d.MinBatteryCharge))
	f.tempCeiling.SetText(num(d.TempCeiling))
	f.tempResume.SetText(num(d.TempResume))
	f.memoryCap.SetText(num(d.MemoryCap))
	f.programs.SetText(strings.Join(d.ExclusivePrograms, ", "))
	f.windows.SetText(strings.Join(d.Windows, ", "))
	f.gpuWhileInUse.SetChecked(d.GPUWhileInUse)
}

// read parses the form, saying in words which field is not a number.
func (f *detailForm) read() (SharingDetail, error) {
	var d SharingDetail
	var bad []string
	number := func(name string, e *widget.Entry) float64 {
		x, err := parseNumber(e.Text)
		if err != nil {
			bad = append(bad, name)
		}
		return x
	}
	whole := func(name string, e *widget.Entry) int {
		x := number(name, e)
		if x != float64(int(x)) {
			bad = append(bad, name+" (a whole number)")
		}
		return int(x)
	}
	d.Mode, d.GPUMode = f.mode.Selected, f.gpuMode.Selected
	d.InUseAfter = time.Duration(number("minutes of input", f.inUseAfter) * float64(time.Minute))
	d.InUseCores, d.InUseDuty = whole("cores while in use", f.inUseCores), number("duty while in use", f.inUseDuty)
	d.IdleCores, d.IdleDuty = whole("cores when idle", f.idleCores), number("duty when idle", f.idleDuty)
	d.PauseAboveOtherCPU = number("other programs' CPU", f.otherCPU)
	d.PauseOnBattery, d.MinBatteryCharge = f.onBattery.Checked, number("battery charge", f.minCharge)
	d.TempCeiling, d.TempResume = number("temperature ceiling", f.tempCeiling), number("resume temperature", f.tempResume)
	d.MemoryCap = number("memory cap", f.memoryCap)
	for _, p := range strings.Split(f.programs.Text, ",") {
		if p = strings.TrimSpace(p); p != "" {
			d.ExclusivePrograms = append(d.ExclusivePrograms, p)
		}
	}
	for _, w := range strings.Split(f.windows.Text, ",") {
		if w = strings.TrimSpace(w); w != "" {
			d.Windows = append(d.Windows, w)
		}
	}
	d.GPUWhileInUse = f.gpuWhileInUse.Checked
	if len(bad) > 0 {
		return d, fmt.Errorf("not a number: %s", strings.Join(bad, ", "))
	}
	return d, nil
}

// parseNumber reads a number as people type it: "2", "2.5", "2,5", " 40 % ".
func parseNumber(text string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "%"))
	return strconv.ParseFloat(strings.Replace(t, ",", ".", 1), 64)
}

func strconvFormat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

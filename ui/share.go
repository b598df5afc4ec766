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

// Share is the sharing switch, the preset, the governor's reason and rules, what runs
// now and what this computer sold.
type Share struct {
	b        Backend
	toggle   *widget.Check
	presets  *widget.RadioGroup
	reason   *widget.Label
	message  *widget.Label
	now      *widget.Label // the miner and the jobs run for buyers
	rules    *widget.Label
	sales    *widget.Label
	detail   detailForm
	updating bool
	Content  fyne.CanvasObject
	// Sales are read from the ledger again only when a block arrived.
	salesHeight uint64
	salesRead   bool
	detailShown bool // the detail form holds the settings in force
}

// maxSales is how many of the latest sales the screen lists.
const maxSales = 20

// NewShare builds the sharing screen.
func NewShare(b Backend) *Share {
	s := &Share{b: b, reason: widget.NewLabel(""), message: widget.NewLabel(""), now: widget.NewLabel(""),
		rules: widget.NewLabel(""), sales: widget.NewLabel("")}
	for _, l := range []*widget.Label{s.reason, s.now, s.rules, s.sales, s.message} {
		l.Wrapping = fyne.TextWrapWord
	}
	s.message.Hide()
	s.toggle = widget.NewCheck("Share this computer's idle time (mine and run jobs)", func(on bool) {
		if s.updating {
			return
		}
		if err := s.b.SetSharing(on); err != nil {
			s.say("Not changed: " + err.Error())
		}
		s.detailShown = false
		s.Refresh()
	})
	s.presets = widget.NewRadioGroup(b.Sharing().Presets, func(p string) {
		if s.updating || p == "" {
			return
		}
		if err := s.b.SetPreset(p); err != nil {
			s.say("Not changed: " + err.Error())
		}
		s.detailShown = false
		s.Refresh()
	})
	s.Content = container.NewVScroll(container.NewVBox(
		widget.NewCard("Sharing", "", container.NewVBox(s.toggle, s.reason)),
		widget.NewCard("How much", "Quiet keeps the fans down; Max uses what the rules allow", s.presets),
		s.message,
		widget.NewCard("Now", "", s.now),
		widget.NewCard("Rules", "the governor's settings in force", container.NewVBox(s.rules,
			widget.NewAccordion(widget.NewAccordionItem("Change the detail", s.detail.build(s))))),
		widget.NewCard("Sales", "jobs this computer ran and was paid for, newest first", s.sales)))
	s.Refresh()
	return s
}

// Refresh reads the backend again.
func (s *Share) Refresh() {
	v := s.b.Sharing()
	s.updating = true
	s.toggle.SetChecked(v.On)
	s.presets.SetSelected(v.Preset)
	s.updating = false
	setText(s.reason, v.Reason)
	a := s.b.Activity()
	setText(s.now, nowText(v, a))
	setText(s.rules, strings.Join(a.Rules, "\n"))
	if !s.detailShown {
		// Filled once, and again after a save: a refresh must not undo typing.
		s.detail.fill(s.b.SharingDetail())
		s.detailShown = true
	}
	if h := s.b.Node().Height; !s.salesRead || h != s.salesHeight {
		s.salesHeight, s.salesRead = h, true
		setText(s.sales, s.salesText())
	}
}

// nowText says whether the miner works and which jobs run for buyers.
func nowText(v SharingView, a ActivityView) string {
	mining := "Not mining: sharing is off."
	switch {
	case v.On && !v.Running:
		mining = "Not mining: sharing is paused (see above)."
	case v.On:
		mining = "The miner waits for the next epoch: it works at the start of each until its ticket is found."
	}
	if a.Mining {
		mining = fmt.Sprintf("Mining this epoch's ticket at %s hashes a second.", coins(uint64(a.HashRate)))
	}
	if len(a.Runs) == 0 {
		return mining + " No job running for a buyer."
	}
	lines := []string{mining, fmt.Sprintf("Running %s for buyers:", count(len(a.Runs), "job", "jobs"))}
	for _, r := range a.Runs {
		line := "deal " + short(r.Deal) + ", module " + short(r.Module)
		if r.Price > 0 {
			line += ", for " + coins(r.Price) + " coins"
		}
		if r.Paused {
			line += " (paused)"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// salesText lists the latest sales from the ledger: compute sales, and deposits won
// from buyers who stalled or were found wrong.
func (s *Share) salesText() string {
	lines, err := s.b.Ledger()
	if err != nil {
		return "The ledger cannot be read: " + err.Error()
	}
	var out []string
	for i := len(lines) - 1; i >= 0 && len(out) < maxSales; i-- {
		l := lines[i]
		what := strings.Fields(l.What)
		if len(what) == 0 || (what[0] != "sale" && what[0] != "fine") {
			continue
		}
		kind := "sale"
		if what[0] == "fine" {
			kind = "deposit won"
		}
		out = append(out, fmt.Sprintf("block %d · %s · %s · %s coins", l.Height, l.Time.Local().Format(time.DateTime), kind, signed(l.Amount)))
	}
	if len(out) == 0 {
		return "No sales yet: with sharing on, this computer runs buyers' jobs when the market offers it one."
	}
	return strings.Join(out, "\n")
}

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

// saveDetail saves the form, or says why not.
func (s *Share) saveDetail() {
	d, err := s.detail.read()
	if err == nil {
		err = s.b.SetSharingDetail(d)
	}
	if err != nil {
		s.detail.note.SetText("Not saved: " + err.Error())
		return
	}
	s.detail.note.SetText("Saved: the preset is now custom.")
	s.detailShown = false
	s.Refresh()
}

// parseNumber reads a number as people type it: "2", "2.5", "2,5", " 40 % ".
func parseNumber(text string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), "%"))
	return strconv.ParseFloat(strings.Replace(t, ",", ".", 1), 64)
}

func strconvFormat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// say shows what a change did, or hides the line when there is nothing to say.
func (s *Share) say(text string) { showLine(s.message, text) }

package ui

import (
	"image/color"
	"reflect"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// earningsChart draws the earnings per day of the last EarningDays days and per hour
// of today as stacked bars, one colour per source, each panel to its own scale.
type earningsChart struct {
	widget.BaseWidget
	e EarningsView
}

func newEarningsChart() *earningsChart {
	c := &earningsChart{}
	c.ExtendBaseWidget(c)
	return c
}

func (c *earningsChart) set(e EarningsView) {
	if reflect.DeepEqual(c.e, e) {
		return
	}
	c.e = e
	c.Refresh()
}

var sourceColors = map[string]color.Color{
	"win": color.NRGBA{R: 0xf5, G: 0xa6, B: 0x23, A: 0xff}, "payroll": color.NRGBA{R: 0x4a, G: 0x90, B: 0xe2, A: 0xff},
	"compute": color.NRGBA{R: 0x7e, G: 0xd3, B: 0x21, A: 0xff}, "trustee": color.NRGBA{R: 0x9b, G: 0x59, B: 0xb6, A: 0xff},
	"fees": color.NRGBA{R: 0x95, G: 0xa5, B: 0xa6, A: 0xff},
}

func (c *earningsChart) CreateRenderer() fyne.WidgetRenderer {
	return &chartRenderer{c: c}
}

type chartRenderer struct {
	c       *earningsChart
	objects []fyne.CanvasObject
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(480, 170) }

func (r *chartRenderer) Layout(size fyne.Size) { r.build(size) }

func (r *chartRenderer) Refresh() { r.build(r.c.Size()) }

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}

// Sizes of the chart's parts, in Fyne units.
const (
	chartLegendW = 140
	chartTitleH  = 18
	chartLabelH  = 18
	chartGap     = 24
)

func (r *chartRenderer) build(size fyne.Size) {
	r.objects = r.objects[:0]
	e := r.c.e
	plotW := size.Width - chartLegendW
	daysW := (plotW - chartGap) * 0.6
	var dayLabels []axisLabel
	if len(e.Days) > 0 && !e.FirstDay.IsZero() {
		dayLabels = []axisLabel{{0, e.FirstDay.Format("Jan 2")}, {len(e.Days) / 2, e.FirstDay.AddDate(0, 0, len(e.Days)/2).Format("Jan 2")},
			{len(e.Days) - 1, "today"}}
	}
	seen := map[string]bool{}
	anyDay := r.panel(0, daysW, size.Height, "Per day, last 30 days", e.Days, dayLabels, seen)
	anyHour := r.panel(daysW+chartGap, plotW-daysW-chartGap, size.Height, "Per hour today", e.Hours,
		[]axisLabel{{0, "0:00"}, {12, "12:00"}, {23, "23:00"}}, seen)
	// The legend names the sources that appear.
	ly := float32(chartTitleH)
	for _, s := range earningSources {
		if !seen[s] {
			continue
		}
		sw := canvas.NewRectangle(sourceColors[s])
		sw.Move(fyne.NewPos(size.Width-chartLegendW+10, ly))
		sw.Resize(fyne.NewSize(10, 10))
		t := canvas.NewText(sourceNames[s], theme.Color(theme.ColorNameForeground))
		t.TextSize = 11
		t.Move(fyne.NewPos(size.Width-chartLegendW+25, ly-3))
		r.objects = append(r.objects, sw, t)
		ly += 16
	}
	switch {
	case !anyDay:
		r.placeholder("No earnings yet", 8, size.Height/2-10)
	case !anyHour:
		r.placeholder("None yet today", daysW+chartGap+8, size.Height/2-10)
	}
}

type axisLabel struct {
	at   int // the bar it stands under
	text string
}

// panel draws one bar per bucket in [x, x+w), stacked by source, scaled to the
// panel's highest bar, with a title above and labels below; it marks the sources
// it drew in seen and says whether it drew any.
func (r *chartRenderer) panel(x, w, h float32, title string, buckets []map[string]uint64, labels []axisLabel, seen map[string]bool) bool {
	fg := theme.Color(theme.ColorNameForeground)
	t := canvas.NewText(title, fg)
	t.TextSize = 12
	t.Move(fyne.NewPos(x, 0))
	r.objects = append(r.objects, t)
	if len(buckets) == 0 {
		return false
	}
	var top uint64
	for _, b := range buckets {
		var sum uint64
		for _, s := range earningSources {
			sum += b[s]
		}
		top = max(top, sum)
	}
	slot := w / float32(len(buckets))
	barW := max(slot*0.7, 1)
	base := h - chartLabelH
	plotH := base - chartTitleH - 4
	// The baseline shows the panel's extent when its bars are few or none.
	line := canvas.NewRectangle(theme.Color(theme.ColorNameSeparator))
	line.Move(fyne.NewPos(x, base))
	line.Resize(fyne.NewSize(w, 1))
	r.objects = append(r.objects, line)
	for i, b := range buckets {
		y := base
		for _, s := range earningSources {
			v := b[s]
			if v == 0 || top == 0 {
				continue
			}
			seen[s] = true
			bh := plotH * float32(v) / float32(top)
			rect := canvas.NewRectangle(sourceColors[s])
			rect.Move(fyne.NewPos(x+float32(i)*slot, y-bh))
			rect.Resize(fyne.NewSize(barW, bh))
			r.objects = append(r.objects, rect)
			y -= bh
		}
	}
	for _, l := range labels {
		lt := canvas.NewText(l.text, theme.Color(theme.ColorNamePlaceHolder))
		lt.TextSize = 11
		lx := x + float32(l.at)*slot
		if tw := fyne.MeasureText(l.text, 11, fyne.TextStyle{}).Width; lx+tw > x+w {
			lx = x + w - tw
		}
		lt.Move(fyne.NewPos(lx, base+2))
		r.objects = append(r.objects, lt)
	}
	return top > 0
}

func (r *chartRenderer) placeholder(text string, x, y float32) {
	t := canvas.NewText(text, theme.Color(theme.ColorNamePlaceHolder))
	t.Move(fyne.NewPos(x, y))
	r.objects = append(r.objects, t)
}

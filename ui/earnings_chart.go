package ui

import (
	"image/color"
	"maps"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// earningsChart draws the three windows as stacked bars, one colour per source.
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
	if maps.Equal(c.e.Today, e.Today) && maps.Equal(c.e.Week, e.Week) && maps.Equal(c.e.Month, e.Month) {
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
	r := &chartRenderer{c: c}
	return r
}

type chartRenderer struct {
	c       *earningsChart
	objects []fyne.CanvasObject
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(320, 150) }

func (r *chartRenderer) Layout(size fyne.Size) { r.build(size) }

func (r *chartRenderer) Refresh() { r.build(r.c.Size()) }

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}

func (r *chartRenderer) build(size fyne.Size) {
	windows := []struct {
		name string
		m    map[string]uint64
	}{{"Today", r.c.e.Today}, {"7 days", r.c.e.Week}, {"30 days", r.c.e.Month}}
	var top uint64
	for _, w := range windows {
		var t uint64
		for _, s := range earningSources {
			t += w.m[s]
		}
		top = max(top, t)
	}
	r.objects = r.objects[:0]
	labelH := float32(20)
	const legendW = 160
	barW := (size.Width - legendW) / float32(len(windows)*2)
	for i, w := range windows {
		x := barW/2 + float32(i)*barW*2
		y := size.Height - labelH
		for _, s := range earningSources {
			v := w.m[s]
			if v == 0 || top == 0 {
				continue
			}
			h := (size.Height - labelH - 4) * float32(v) / float32(top)
			rect := canvas.NewRectangle(sourceColors[s])
			rect.Move(fyne.NewPos(x, y-h))
			rect.Resize(fyne.NewSize(barW, h))
			r.objects = append(r.objects, rect)
			y -= h
		}
		t := canvas.NewText(w.name, theme.Color(theme.ColorNameForeground))
		t.TextSize = 12
		t.Move(fyne.NewPos(x, size.Height-labelH+2))
		r.objects = append(r.objects, t)
	}
	// The legend names the sources that appear.
	lx := float32(0)
	for _, s := range earningSources {
		if r.c.e.Month[s] == 0 {
			continue
		}
		sw := canvas.NewRectangle(sourceColors[s])
		sw.Move(fyne.NewPos(size.Width-legendW+10, lx))
		sw.Resize(fyne.NewSize(10, 10))
		t := canvas.NewText(sourceNames[s], theme.Color(theme.ColorNameForeground))
		t.TextSize = 11
		t.Move(fyne.NewPos(size.Width-legendW+25, lx-3))
		r.objects = append(r.objects, sw, t)
		lx += 16
	}
	if top == 0 {
		t := canvas.NewText("No earnings yet", theme.Color(theme.ColorNamePlaceHolder))
		t.Move(fyne.NewPos(8, size.Height/2-10))
		r.objects = append(r.objects, t)
	}
}

package ui

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// priceForm is the Share screen's price and slots: what this computer asks as a
// provider, what the chain holds of it, and the suggested price with how it was reached.
type priceForm struct {
	price, slots *widget.Entry
	status       *widget.Label // what is asked and what the chain holds
	suggestion   *widget.Label
	save, use    *widget.Button
	note         *widget.Label // what saving did
	shown        bool          // the entries hold the terms in force
	suggested    PricingView
}

func (f *priceForm) build(s *Share) fyne.CanvasObject {
	f.price, f.slots = widget.NewEntry(), widget.NewEntry()
	f.status, f.suggestion, f.note = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	for _, l := range []*widget.Label{f.status, f.suggestion, f.note} {
		l.Wrapping = fyne.TextWrapWord
	}
	f.note.Hide()
	f.save = widget.NewButton("Save the price", func() { s.savePrice() })
	f.use = widget.NewButton("Use the suggestion", func() {
		f.price.SetText(strconv.FormatUint(f.suggested.SuggestedPrice, 10))
		f.slots.SetText(strconv.Itoa(f.suggested.SuggestedSlots))
	})
	form := widget.NewForm(
		widget.NewFormItem("Coins a second of a job's time limit", f.price),
		widget.NewFormItem("Jobs at once (slots)", f.slots),
	)
	return container.NewVBox(f.status, form, f.suggestion, container.NewHBox(f.save, f.use), f.note)
}

// refresh shows v; the entries only the first time and after a save, so that a
// refresh never undoes typing.
func (f *priceForm) refresh(v PricingView) {
	f.suggested = v
	if !f.shown {
		f.price.SetText(strconv.FormatUint(v.Price, 10))
		f.slots.SetText(strconv.Itoa(v.Slots))
		f.shown = true
	}
	setText(f.status, pricingStatus(v))
	setText(f.suggestion, v.Suggestion)
	if v.Suggestion == "" {
		f.use.Disable()
	} else {
		f.use.Enable()
	}
}

// pricingStatus says what this computer asks and what the chain holds of it.
func pricingStatus(v PricingView) string {
	asks := fmt.Sprintf("This computer asks %s a second of a job's time limit and runs %s at once.", coinCount(v.Price), count(v.Slots, "job", "jobs"))
	switch {
	case v.NotProvider != "":
		return asks + " " + v.NotProvider
	case !v.Registered:
		return asks + " Not registered on chain yet: the node registers while sharing is on and its balance covers a deposit."
	case v.RegisteredSlots == 0:
		return asks + fmt.Sprintf(" On chain: %s a second, no slot while sharing is off or paused.", coins(v.RegisteredPrice))
	case v.RegisteredPrice != v.Price || v.RegisteredSlots != v.Slots:
		return asks + fmt.Sprintf(" On chain still: %s a second, %s; the change is on its way.", coins(v.RegisteredPrice), count(v.RegisteredSlots, "slot", "slots"))
	}
	return asks + " Buyers see this on chain."
}

// read parses the entries, saying in words what is not a whole number.
func (f *priceForm) read() (price uint64, slots int, err error) {
	var bad []string
	price, perr := strconv.ParseUint(strings.TrimSpace(f.price.Text), 10, 64)
	if perr != nil || price == 0 {
		bad = append(bad, "the price (a whole number of coins, at least 1)")
	}
	k, serr := strconv.Atoi(strings.TrimSpace(f.slots.Text))
	if serr != nil || k < 1 {
		bad = append(bad, "the jobs at once (a whole number, at least 1)")
	}
	if len(bad) > 0 {
		return 0, 0, fmt.Errorf("not right: %s", strings.Join(bad, " and "))
	}
	return price, k, nil
}

// coinCount writes an amount with its noun: "1 coin", "1,200 coins".
func coinCount(v uint64) string {
	if v == 1 {
		return "1 coin"
	}
	return coins(v) + " coins"
}

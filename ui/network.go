package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Network shows which chain the node follows and how it is connected.
type Network struct {
	b       Backend
	form    *widget.Form
	values  map[string]*widget.Label
	Content fyne.CanvasObject
}

var networkRows = []string{"Network", "Chain", "Height", "Last block", "Peers", "Trustees", "Problem"}

// NewNetwork builds the network screen.
func NewNetwork(b Backend) *Network {
	n := &Network{b: b, values: map[string]*widget.Label{}, form: widget.NewForm()}
	for _, r := range networkRows {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		n.values[r] = l
		n.form.Append(r, l)
	}
	n.Content = container.NewVScroll(widget.NewCard("Network", "", n.form))
	n.Refresh()
	return n
}

// Refresh reads the backend again.
func (n *Network) Refresh() {
	v := n.b.Node()
	name := v.Network
	if v.Demo {
		name += " (runs inside this app, on this computer)"
	} else if v.NetworkSrc != "" {
		name += " (" + v.NetworkSrc + ")"
	}
	setText(n.values["Network"], name)
	setText(n.values["Chain"], v.ChainID)
	sync := "catching up"
	if v.Synced {
		sync = "in sync"
	}
	setText(n.values["Height"], fmt.Sprintf("%d of %d known, %s", v.Height, v.Target, sync))
	if v.BlockTime.IsZero() || v.Height == 0 {
		setText(n.values["Last block"], "none yet")
	} else {
		setText(n.values["Last block"], v.BlockTime.Local().Format(time.DateTime))
	}
	setText(n.values["Peers"], fmt.Sprint(v.Peers))
	setText(n.values["Trustees"], fmt.Sprintf("%d connected", v.Trustees))
	problem := v.LastError
	if problem == "" {
		problem = "none"
	}
	setText(n.values["Problem"], problem)
}

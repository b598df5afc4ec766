package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Network shows which chain the node follows, how it is connected, and the trustees
// that certify it.
type Network struct {
	b        Backend
	form     *widget.Form
	values   map[string]*widget.Label
	trustees *fyne.Container // a grid: a header row, then a row per trustee
	rows     [][trusteeColumns]*widget.Label
	Content  fyne.CanvasObject
}

// The trustee table's columns.
var trusteeHeads = [...]string{"Trustee", "Joined", "Round trip", "Votes", "Bond"}

const trusteeColumns = len(trusteeHeads)

var networkRows = []string{"Network", "Chain", "Height", "Last block", "Certificate", "Clock", "Peers", "Trustees", "Problem"}

// NewNetwork builds the network screen.
func NewNetwork(b Backend) *Network {
	n := &Network{b: b, values: map[string]*widget.Label{}, form: widget.NewForm()}
	for _, r := range networkRows {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		n.values[r] = l
		n.form.Append(r, l)
	}
	n.trustees = container.NewGridWithColumns(trusteeColumns)
	for _, h := range trusteeHeads {
		n.trustees.Add(widget.NewLabelWithStyle(h, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	}
	n.Content = container.NewVScroll(container.NewVBox(
		widget.NewCard("Network", "", n.form),
		widget.NewCard("Trustees", "the servers that certify each block: votes are their precommits in the last blocks this node checked", n.trustees),
	))
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
	cert := "none checked since the app started"
	if v.SetSize > 0 {
		cert = fmt.Sprintf("round %d, signed by %d of %d trustees", v.CertRound, v.CertSigners, v.SetSize)
	}
	setText(n.values["Certificate"], cert)
	setText(n.values["Clock"], clockText(v))
	setText(n.values["Peers"], fmt.Sprint(v.Peers))
	setText(n.values["Trustees"], fmt.Sprintf("%d connected", v.Trustees))
	problem := v.LastError
	if problem == "" {
		problem = "none"
	}
	setText(n.values["Problem"], problem)
	n.refreshTrustees()
}

// refreshTrustees fills the table, adding or removing rows only when the set's size
// changed.
func (n *Network) refreshTrustees() {
	ts := n.b.Trustees()
	for len(n.rows) < len(ts) {
		var row [trusteeColumns]*widget.Label
		for i := range row {
			row[i] = widget.NewLabel("")
			n.trustees.Add(row[i])
		}
		n.rows = append(n.rows, row)
	}
	if len(n.rows) > len(ts) {
		n.rows = n.rows[:len(ts)]
		n.trustees.Objects = n.trustees.Objects[:trusteeColumns*(1+len(ts))]
		n.trustees.Refresh()
	}
	for i, t := range ts {
		key := t.Key
		if len(key) > 16 {
			key = key[:16] + "…"
		}
		switch {
		case t.Slashed:
			key += " (slashed)"
		case t.Leaving:
			key += " (leaving)"
		}
		rtt := "not connected"
		if t.Connected {
			rtt = "measuring…"
			if t.Latency > 0 {
				rtt = roundTrip(t.Latency)
			}
		}
		votes := "no blocks checked yet"
		if t.Of > 0 {
			votes = fmt.Sprintf("%d of the last %d", t.Signed, t.Of)
		}
		row := n.rows[i]
		setText(row[0], key)
		setText(row[1], ordinal(t.Seniority+1))
		setText(row[2], rtt)
		setText(row[3], votes)
		setText(row[4], coins(t.Bond))
	}
}

// clockText describes the decentralized clock's calibration: the network's cycle from
// its blocks' times, and this computer's from when it received them; their ratio is
// how fast this computer's clock runs against the network's. Until blocks received
// on time give a rate within the clock's bounds (node/dcc's span), the node counts
// its clock as exact.
func clockText(v NodeView) string {
	if v.CycleBlocks < 2 {
		return fmt.Sprintf("a block every %s on the network; this computer's clock counts as exact until two blocks received on time measure its rate", seconds(v.GlobalCycle))
	}
	text := fmt.Sprintf("a block every %s on the network, every %s by this computer's clock (from %d blocks)",
		seconds(v.GlobalCycle), seconds(v.PrivateCycle), v.CycleBlocks)
	if v.PrivateCycle > 0 {
		text += fmt.Sprintf("; rate %.3f", float64(v.GlobalCycle)/float64(v.PrivateCycle))
	}
	return text
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// roundTrip writes a latency to a tenth of a millisecond below 10 ms, in whole
// milliseconds above.
func roundTrip(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 10 {
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// ordinal writes 1st, 2nd, 3rd, 4th… 11th, 12th, 13th, 21st.
func ordinal(n uint64) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprint(n) + suffix
}

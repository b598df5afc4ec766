package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Wallet shows the address, sends coins and lists the history.
type Wallet struct {
	b       Backend
	run     Runner
	address *widget.Label
	to      *widget.Entry
	amount  *widget.Entry
	fee     *widget.Entry
	memo    *widget.Entry
	send    *widget.Button
	copy    *widget.Button
	message *widget.Label
	lines   []LedgerLine
	history *widget.List
	Content fyne.CanvasObject
	// The history is read again only when a block arrives: entries come with blocks.
	readHeight uint64
	readOK     bool
}

// Runner runs slow work off the UI goroutine and its result back on it. Package app
// gives the real one (a goroutine, then fyne.Do); tests run both at once.
type Runner func(work func() error, done func(error))

// NewWallet builds the wallet screen. clip copies text to the clipboard.
func NewWallet(b Backend, run Runner, clip func(string)) *Wallet {
	w := &Wallet{b: b, run: run, address: widget.NewLabel(""), to: widget.NewEntry(), amount: widget.NewEntry(),
		fee: widget.NewEntry(), memo: widget.NewEntry(), message: widget.NewLabel("")}
	w.address.TextStyle.Monospace = true
	w.to.SetPlaceHolder("dao1…")
	w.amount.SetPlaceHolder("coins")
	w.fee.SetText("1")
	w.memo.SetPlaceHolder("optional note")
	w.message.Wrapping = fyne.TextWrapWord
	w.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), w.onSend)
	w.copy = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { clip(w.b.Node().Address) })
	w.history = widget.NewList(func() int { return len(w.lines) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			l := w.lines[len(w.lines)-1-i] // newest first
			o.(*widget.Label).SetText(fmt.Sprintf("block %d · %s · %s · %s", l.Height, l.Time.Local().Format(time.DateTime), l.What, signed(l.Amount)))
		})
	form := widget.NewForm(widget.NewFormItem("To", w.to), widget.NewFormItem("Amount", w.amount),
		widget.NewFormItem("Fee", w.fee), widget.NewFormItem("Note", w.memo))
	top := container.NewVBox(
		widget.NewCard("Your address", "", container.NewBorder(nil, nil, nil, w.copy, w.address)),
		widget.NewCard("Send", "", container.NewVBox(form, container.NewHBox(w.send), w.message)),
		widget.NewLabelWithStyle("History", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	w.Content = container.NewBorder(top, nil, nil, nil, w.history)
	w.Refresh()
	return w
}

// Refresh reads the backend again.
func (w *Wallet) Refresh() {
	n := w.b.Node()
	setText(w.address, n.Address)
	if w.readOK && n.Height == w.readHeight {
		return
	}
	lines, err := w.b.Ledger()
	w.readHeight, w.readOK = n.Height, err == nil
	if err != nil {
		w.message.SetText("The history cannot be read: " + err.Error())
		return
	}
	w.lines = lines
	w.history.Refresh()
}

// errInput is a form error in words.
var errInput = errors.New("input")

func (w *Wallet) parse() (to string, amount, fee uint64, err error) {
	to = strings.TrimSpace(w.to.Text)
	if to == "" {
		return "", 0, 0, fmt.Errorf("%w: enter the address to send to", errInput)
	}
	if err := w.b.ValidateAddress(to); err != nil {
		return "", 0, 0, fmt.Errorf("%w: %q is not a Daoli address (%v)", errInput, to, err)
	}
	amount, err = strconv.ParseUint(strings.ReplaceAll(strings.TrimSpace(w.amount.Text), ",", ""), 10, 64)
	if err != nil || amount == 0 {
		return "", 0, 0, fmt.Errorf("%w: the amount must be a whole number of coins above 0", errInput)
	}
	fee, err = strconv.ParseUint(strings.TrimSpace(w.fee.Text), 10, 64)
	if err != nil {
		return "", 0, 0, fmt.Errorf("%w: the fee must be a whole number of coins", errInput)
	}
	n := w.b.Node()
	if n.BalanceAt > 0 && (amount > n.Balance || fee > n.Balance-amount) {
		return "", 0, 0, fmt.Errorf("%w: %s + fee %s is more than your balance of %s", errInput, coins(amount), coins(fee), coins(n.Balance))
	}
	return to, amount, fee, nil
}

func (w *Wallet) onSend() {
	to, amount, fee, err := w.parse()
	if err != nil {
		w.message.SetText(strings.TrimPrefix(err.Error(), errInput.Error()+": "))
		return
	}
	memo := w.memo.Text
	w.send.Disable()
	w.message.SetText(fmt.Sprintf("Sending %s coins…", coins(amount)))
	var tx string
	w.run(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		tx, err = w.b.Send(ctx, to, amount, fee, memo)
		return err
	}, func(err error) {
		w.send.Enable()
		if err != nil {
			w.message.SetText("Not sent: " + err.Error())
			return
		}
		w.message.SetText(fmt.Sprintf("Sent %s coins. Transaction %s; it shows in the history once a block holds it.", coins(amount), short(tx)))
		w.amount.SetText("")
		w.memo.SetText("")
	})
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

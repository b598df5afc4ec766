package ui

import (
	"context"
	"fmt"
	"io"
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
	win     fyne.Window // for dialogs
	run     Runner
	address *widget.Label
	to      *widget.Entry
	amount  *widget.Entry
	fee     *widget.Entry
	memo    *widget.Entry
	send    *widget.Button
	copy    *widget.Button
	backup  *widget.Button
	restore *widget.Button
	keep    *widget.Label // what backup and restore did
	message *widget.Label
	lines   []LedgerLine
	history *widget.List
	Content fyne.CanvasObject
	// The history is read again only when a block arrives: entries come with blocks.
	readHeight uint64
	readOK     bool
}

// NewWallet builds the wallet screen, its dialogs over win. clip copies text to the
// clipboard.
func NewWallet(win fyne.Window, b Backend, run Runner, clip func(string)) *Wallet {
	w := &Wallet{b: b, win: win, run: run, address: widget.NewLabel(""), to: widget.NewEntry(), amount: widget.NewEntry(),
		fee: widget.NewEntry(), memo: widget.NewEntry(), message: widget.NewLabel(""), keep: widget.NewLabel("")}
	w.keep.Wrapping = fyne.TextWrapWord
	w.keep.Hide() // shown with what a backup or restore did
	w.backup = widget.NewButtonWithIcon("Back up…", theme.DocumentSaveIcon(), w.onBackup)
	w.restore = widget.NewButtonWithIcon("Restore…", theme.FolderOpenIcon(), w.onRestore)
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
		widget.NewCard("Your address", "", container.NewBorder(nil, w.keep, nil, container.NewHBox(w.copy, w.backup, w.restore), w.address)),
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

// onBackup asks for the passphrase, then where to save the backup.
func (w *Wallet) onBackup() {
	askPassphrase(w.win, "Back up the wallet", func(pass string) {
		w.backupWith(pass, func(data []byte) {
			saveFile(w.win, "daoli-wallet-backup.json", w.tell, func(wc io.WriteCloser, where string) {
				_, err := wc.Write(data)
				if cerr := wc.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					w.tell("The backup could not be written: " + err.Error() + ". Choose another place.")
					return
				}
				w.tell("Backup written to " + where + ". Keep it, and its passphrase: together they open this wallet on any computer.")
			})
		})
	})
}

// backupWith checks pass against the wallet off the UI goroutine, then hands the
// backup to save.
func (w *Wallet) backupWith(pass string, save func([]byte)) {
	var data []byte
	w.tell("Checking the passphrase…")
	w.run(func() (err error) {
		data, err = w.b.BackupWallet([]byte(pass))
		return err
	}, func(err error) {
		if err != nil {
			w.tell("Not backed up: " + err.Error() + ".")
			return
		}
		w.tell("")
		save(data)
	})
}

// onRestore asks for a backup file, then its passphrase.
func (w *Wallet) onRestore() {
	chooseSmallFile(w.win, []string{".json"}, maxBackupBytes, "a wallet backup", w.tell, func(data []byte) {
		askPassphrase(w.win, "Restore a wallet", func(pass string) { w.restoreWith(data, pass) })
	})
}

// maxBackupBytes bounds a backup file: a keystore is well under a kilobyte.
const maxBackupBytes = 64 << 10

// restoreWith restores backup with pass off the UI goroutine and says what happened.
func (w *Wallet) restoreWith(backup []byte, pass string) {
	var addr string
	var same bool
	w.tell("Checking the backup…")
	w.run(func() (err error) {
		addr, same, err = w.b.RestoreWallet(backup, []byte(pass))
		return err
	}, func(err error) {
		switch {
		case err != nil:
			w.tell("Not restored: " + err.Error() + ".")
		case same:
			w.tell("This backup is the wallet in use (" + addr + "); nothing changed.")
		default:
			w.tell("Restored wallet " + addr + ". Daoli uses it from its next start: quit from the tray icon and start it again. " +
				"The wallet it replaces was kept beside it in the data directory.")
		}
	})
}

// tell shows what a backup or restore did, under the address; nothing hides it.
func (w *Wallet) tell(text string) { showLine(w.keep, text) }

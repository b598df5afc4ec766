package ui

import (
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
)

// The screens' dialogs, each shown over the window the screen was given.

// openFile asks for a file to read, with one of exts when any are given, and hands
// the open file to got; title "" keeps Fyne's. got is not called when the user
// cancels; say tells what went wrong.
func openFile(win fyne.Window, title string, exts []string, say func(string), got func(name string, r io.ReadCloser)) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			say("The file could not be opened: " + err.Error())
			return
		}
		if r != nil {
			got(r.URI().Name(), r)
		}
	}, win)
	if title != "" {
		d.SetTitleText(title)
	}
	if len(exts) > 0 {
		d.SetFilter(storage.NewExtensionFileFilter(exts))
	}
	d.Show()
}

// openFolder asks for a folder and hands its path to got; title "" keeps Fyne's. got
// is not called when the user cancels; say tells what went wrong.
func openFolder(win fyne.Window, title string, say func(string), got func(path string)) {
	d := dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil {
			say("The folder could not be opened: " + err.Error())
			return
		}
		if l != nil {
			got(l.Path())
		}
	}, win)
	if title != "" {
		d.SetTitleText(title)
	}
	d.Show()
}

// saveFile asks where to save a file, proposing name, and hands the created file and
// its path to got. got is not called when the user cancels; say tells what went
// wrong.
func saveFile(win fyne.Window, name string, say func(string), got func(w io.WriteCloser, where string)) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			say("The file could not be created: " + err.Error())
			return
		}
		if wc != nil {
			got(wc, wc.URI().Path())
		}
	}, win)
	d.SetFileName(name)
	d.Show()
}

// chooseSmallFile asks for a file with one of exts and hands its bytes to got; what
// goes wrong, or a file over max bytes (too large to be what), is told to say.
func chooseSmallFile(win fyne.Window, exts []string, max int, what string, say func(string), got func([]byte)) {
	openFile(win, "", exts, say, func(_ string, r io.ReadCloser) {
		data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
		r.Close()
		switch {
		case err != nil:
			say("The file could not be read: " + err.Error())
		case len(data) > max:
			say("This file is too large to be " + what + ".")
		default:
			got(data)
		}
	})
}

// askPassphrase shows a dialog with a hidden entry and calls ok with what was typed.
func askPassphrase(win fyne.Window, title string, ok func(string)) {
	e := widget.NewPasswordEntry()
	dialog.ShowForm(title, "Continue", "Cancel", []*widget.FormItem{widget.NewFormItem("Passphrase", e)}, func(confirmed bool) {
		if confirmed {
			ok(e.Text)
		}
	}, win)
}

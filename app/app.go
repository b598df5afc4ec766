package app

import (
	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/daolicloud/daoli/assets"
	"github.com/daolicloud/daoli/node/version"
	"github.com/daolicloud/daoli/ui"
)

// ID is the application ID; Fyne keys preferences and storage by it. It matches
// FyneApp.toml.
const ID = "cloud.daoli.app"

// Run opens the main window and blocks until the user quits.
func Run() error {
	a := fyneapp.NewWithID(ID)
	icon := fyne.NewStaticResource("icon.png", assets.Icon)
	a.SetIcon(icon)

	w := a.NewWindow(ui.AppName)
	w.SetContent(ui.NewWelcome(icon, version.String()))
	w.Resize(fyne.NewSize(960, 640))
	w.SetMaster()
	w.ShowAndRun()
	return nil
}

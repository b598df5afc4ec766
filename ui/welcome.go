package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// AppName is the product's name as windows and menus show it.
const AppName = "Daoli"

// NewWelcome is the window's content until the node and its screens are wired in: the
// product's icon, name and version, and nothing that would pass for a measurement.
func NewWelcome(icon fyne.Resource, version string) fyne.CanvasObject {
	logo := canvas.NewImageFromResource(icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSquareSize(128))

	name := widget.NewRichText(&widget.TextSegment{
		Text:  AppName,
		Style: widget.RichTextStyle{Alignment: fyne.TextAlignCenter, SizeName: "headingText", TextStyle: fyne.TextStyle{Bold: true}},
	})
	ver := widget.NewLabelWithStyle("Version "+version, fyne.TextAlignCenter, fyne.TextStyle{})
	return container.NewCenter(container.NewVBox(logo, name, ver))
}

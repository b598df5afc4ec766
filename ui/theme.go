package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// The themes the settings offer.
const (
	ThemeSystem = "system"
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// Themes lists them in the order shown.
var Themes = []string{ThemeSystem, ThemeLight, ThemeDark}

// ApplyTheme draws the app in the named theme: Fyne's, in the desktop's variant
// (system) or in a fixed one. An unknown name is the system theme.
func ApplyTheme(name string) {
	var t fyne.Theme = theme.DefaultTheme()
	switch name {
	case ThemeLight:
		t = fixedVariant{t, theme.VariantLight}
	case ThemeDark:
		t = fixedVariant{t, theme.VariantDark}
	}
	fyne.CurrentApp().Settings().SetTheme(t)
}

// fixedVariant is a theme drawn in one variant whatever the desktop's.
type fixedVariant struct {
	fyne.Theme
	variant fyne.ThemeVariant
}

func (f fixedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return f.Theme.Color(n, f.variant)
}

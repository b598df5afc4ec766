// Package ui holds Daoli's Fyne screens and widgets. It never imports
// fyne.io/fyne/v2/app: the composition root in package app creates the application and
// hands windows to this package, so every screen here is testable with Fyne's test
// driver and builds with CGO_ENABLED=0.
package ui

// Package app is the composition root of the desktop app: it creates the Fyne
// application, opens the main window and hands it to package ui. Later it also owns the
// data directory, starts the light node or the embedded demo network, and runs the one
// bridge that moves node events onto the UI goroutine.
package app

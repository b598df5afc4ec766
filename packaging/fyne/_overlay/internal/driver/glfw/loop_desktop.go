//go:build !wasm && !test_web_driver

// This file replaces fyne.io/fyne/v2@v2.7.1/internal/driver/glfw/loop_desktop.go in
// Daoli's builds (see packaging/fyne/README.md): it adds waitEvents and postEmptyEvent
// for the idle main loop.

package glfw

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/go-gl/glfw/v3.3/glfw"
)

func (d *gLDriver) initGLFW() {
	err := glfw.Init()
	if err != nil {
		fyne.LogError("failed to initialise GLFW", err)
		return
	}

	initCursors()
}

func (d *gLDriver) pollEvents() {
	glfw.PollEvents() // This call blocks while window is being resized, which prevents freeDirtyTextures from being called
}

func (d *gLDriver) Terminate() {
	glfw.Terminate()
}

// waitEvents handles the events that arrive within timeout, waiting for the first.
func (d *gLDriver) waitEvents(timeout time.Duration) {
	glfw.WaitEventsTimeout(timeout.Seconds())
}

// postEmptyEvent ends a waitEvents early; GLFW allows it from any thread.
func postEmptyEvent() {
	glfw.PostEmptyEvent()
}

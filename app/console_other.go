//go:build !windows

package app

// AttachConsole is for Windows, where daoli.exe is a GUI program (console_windows.go).
func AttachConsole([]string) {}

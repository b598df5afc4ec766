package app

import (
	"os"

	"golang.org/x/sys/windows"
)

var attachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// attachParentProcess is ATTACH_PARENT_PROCESS: the console of the process that
// started this one.
const attachParentProcess = ^uintptr(0)

// AttachConsole gives a command (daoli status, …) run from a console the console's
// output. daoli.exe is a GUI program, so that the desktop app opens no console
// window; Windows gives such a program no standard handles when a console starts
// it. Handles already given (output redirected to a file or a pipe, as scripts and
// the job worker's are) are kept. Without arguments (the desktop app) it does
// nothing. A console does not wait for a GUI program: cmd.exe shows its prompt
// before the output (packaging/README.md).
func AttachConsole(args []string) {
	if len(args) == 0 {
		return
	}
	in, out, errOut := stdValid(windows.STD_INPUT_HANDLE), stdValid(windows.STD_OUTPUT_HANDLE), stdValid(windows.STD_ERROR_HANDLE)
	if in && out && errOut {
		return
	}
	if r, _, _ := attachConsole.Call(attachParentProcess); r == 0 {
		return // not started from a console
	}
	if !out {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stdout = f
		}
	}
	if !errOut {
		if f, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
			os.Stderr = f
		}
	}
	if !in {
		if f, err := os.OpenFile("CONIN$", os.O_RDWR, 0); err == nil {
			os.Stdin = f
		}
	}
}

// stdValid reports whether the process has the standard handle n.
func stdValid(n uint32) bool {
	h, err := windows.GetStdHandle(n)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return false
	}
	_, err = windows.GetFileType(h)
	return err == nil
}

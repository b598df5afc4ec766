// Package app is the composition root of Daoli (docs/design.md §Processes, docs/app.md).
// Main runs the daoli binary: the desktop app without a subcommand, the CLI with one
// (status, check, node, wallet, share, job, and worker, the job subprocess). The app
// owns the data directory and the wallet, creates the Fyne application and its tray,
// and starts a Session: the sharing governor and its gate, the light node, the local
// control API, and with no network file the embedded local demo network. It implements
// ui.Backend over the session, and its bridge is where node events reach the UI
// goroutine (through fyne.Do).
package app

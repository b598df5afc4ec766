package ui

import (
	"context"
	"time"
)

// Backend is everything the screens ask of the node. Package app implements it over the
// light node, the governor and the settings; tests pass a fake. Calls may block on the
// network (Balance, Send), so screens make them off the UI goroutine and hand results
// back through Refresher.
type Backend interface {
	Node() NodeView
	Earnings() (EarningsView, error)
	Ledger() ([]LedgerLine, error)
	Send(ctx context.Context, to string, amount, fee uint64, memo string) (tx string, err error)
	// ValidateAddress says in words why text is not an address, or nil.
	ValidateAddress(text string) error
	Sharing() SharingView
	SetSharing(on bool) error
	SetPreset(preset string) error
	Logs() []string
	Settings() SettingsView
	SetStartAtLogin(on bool) error
	SetNotifications(on bool) error
}

// SettingsView is what the Settings screen shows and changes.
type SettingsView struct {
	StartAtLogin  bool
	Notifications bool
	DataDir       string
	Network       string // the network file, or "" for the embedded demo network
}

// NodeView is the node's state as the screens show it. Nothing in it is estimated.
type NodeView struct {
	Network    string
	Demo       bool
	ChainID    string
	Height     uint64
	Target     uint64
	Synced     bool
	BlockTime  time.Time
	Peers      int
	Trustees   int
	Address    string
	Balance    uint64
	BalanceAt  uint64 // height of the proof; 0 when the balance was not proven yet
	Wins       int
	Payrolls   int
	Tickets    int
	Mining     bool
	LastError  string
	DataDir    string
	NetworkSrc string // the network file, or "" for the embedded demo network
}

// EarningsView totals the ledger by source over the dashboard's windows.
type EarningsView struct {
	Today, Week, Month map[string]uint64 // by source: win, payroll, …
}

// LedgerLine is one entry of the wallet's history.
type LedgerLine struct {
	Height uint64
	Time   time.Time
	What   string // source, with the other account for transfers
	Amount int64
}

// SharingView is the governor's state.
type SharingView struct {
	On      bool // the user's switch: not "never"
	Running bool // the governor lets work run now
	Reason  string
	Preset  string
	Presets []string
}

package ui

import (
	"context"
	"time"
)

// Runner runs slow work off the UI goroutine and its result back on it. Package app
// gives the real one (a goroutine, then fyne.Do); tests run both at once.
type Runner func(work func() error, done func(error))

// UnlockBackend is what the first screen asks of the app before the node starts.
// OpenWallet, CreateWallet and SavePreset are slow (the keystore's KDF, the hardware
// probe), so the screen calls them through its Runner.
type UnlockBackend interface {
	// WalletExists says whether this computer holds a wallet.
	WalletExists() bool
	// OpenWallet opens the wallet with pass; ErrWrongPassphrase when pass does not.
	OpenWallet(pass []byte) error
	// CreateWallet makes a new wallet, encrypted with pass, and opens it.
	CreateWallet(pass []byte) error
	// SavePreset keeps the first run's sharing choice, "quiet", "balanced" or "max",
	// unless sharing settings exist already; with shareNowFor above 0 sharing also
	// starts at once for that long (SharingControl.ShareNow).
	SavePreset(preset string, shareNowFor time.Duration) error
	// WhenItShares says in one sentence when a preset shares on this computer.
	WhenItShares(preset string) string
}

// Backend is everything the screens ask of the node. Package app implements it over the
// light node, the governor and the settings; tests pass a fake. Calls may block on the
// network (Balance, Send), so screens make them off the UI goroutine and hand results
// back through Refresher.
type Backend interface {
	Node() NodeView
	// Lottery is the Consensus of Luck as the node sees it.
	Lottery() LotteryView
	// Trustees lists the trustee set that certifies the chain, by seniority.
	Trustees() []TrusteeView
	Earnings() (EarningsView, error)
	Ledger() ([]LedgerLine, error)
	Send(ctx context.Context, to string, amount, fee uint64, memo string) (tx string, err error)
	// BackupWallet returns the wallet's keystore, encrypted with its passphrase, once
	// pass opens it.
	BackupWallet(pass []byte) ([]byte, error)
	// RestoreWallet checks that pass opens backup and makes it the wallet from the
	// app's next start, keeping the wallet it replaces in a file beside it; it returns
	// the restored address, and whether it is the wallet in use already.
	RestoreWallet(backup, pass []byte) (address string, same bool, err error)
	// ValidateAddress says in words why text is not an address, or nil.
	ValidateAddress(text string) error
	Sharing() SharingView
	SetSharing(on bool) error
	SharingControl
	SetPreset(preset string) error
	// Activity is the rules in force and what runs now, for the Share screen.
	Activity() ActivityView
	// SharingDetail is the governor's detail in force; SetSharingDetail saves a
	// changed one (the preset becomes custom), or says in words what contradicts.
	SharingDetail() SharingDetail
	SetSharingDetail(d SharingDetail) error
	// Pricing is what this computer asks as a provider, what the chain holds of it
	// and the suggested price; SetPricing saves a new price and slots and has the
	// running node ask them, or says in words what is out of range.
	Pricing() PricingView
	SetPricing(price uint64, slots int) error
	// Logs returns the log lines kept, oldest first, and how many lines were logged
	// in all; LogCount is that number alone, for telling cheaply whether anything is new.
	Logs() (lines []string, count uint64)
	LogCount() uint64
	Settings() SettingsView
	SetStartAtLogin(on bool) error
	SetNotifications(on bool) error
	// ChooseNetwork makes data, a network file, the network of the next start (nil:
	// the local demo network), refusing what is not a network file; it returns the
	// network's name.
	ChooseNetwork(data []byte) (name string, err error)
	// SetTheme saves the theme, one of Themes, for this and later starts.
	SetTheme(name string) error

	// JobTemplates lists the example jobs shipped in the binary.
	JobTemplates() []JobTemplate
	// ValidateModule says in words why data is not a WASI module the network runs, or
	// nil. It may compile the module, so screens call it off the UI goroutine.
	ValidateModule(ctx context.Context, data []byte) error
	// RunJob buys a run of a job: it uploads the module and input and opens a deal
	// that escrows the price. It returns the job's ID once the network took it.
	RunJob(ctx context.Context, req JobRequest) (id string, err error)
	// Jobs lists the jobs this wallet bought, newest first. It does not block.
	Jobs() []JobView
	// JobOutput fetches a job's standard output, checked against the hash its
	// provider posted.
	JobOutput(ctx context.Context, id string) ([]byte, error)
	// JobResult fetches a job's whole result: standard output and error, the files it
	// left in /output, and why a run that did not end ok ended.
	JobResult(ctx context.Context, id string) (JobResult, error)
	// SaveJobResult writes a job's result as files into a new folder named after
	// the job inside dir (stdout, stderr, and the output files under output/), and
	// returns the new folder's path. It replaces nothing.
	SaveJobResult(ctx context.Context, id, dir string) (string, error)
	// CancelJob withdraws a job no provider accepted yet; its escrow comes back.
	CancelJob(ctx context.Context, id string) error
}

// JobTemplate is an example job shipped in the binary.
type JobTemplate struct {
	Name        string // what JobRequest.Template names: "mandelbrot", "pi", "hash", "wordcount"
	Title       string // the name people read
	Description string // what it computes and what its arguments mean
	DefaultArgs []string
	TakesInput  bool   // it reads an input file when given one
	NeedsInput  bool   // it works on an input file and has nothing to do without one
	OutputKind  string // "png", "text", or "files" (text, and files in /output)
}

// JobRequest is a job to buy.
type JobRequest struct {
	Template string // a JobTemplate's Name, or "" to run Module
	Module   []byte // the buyer's own WASI preview 1 module, when Template is ""
	Name     string // what the job list calls it, for Module its file name; "" is the template's Name
	Input    []byte // the job's standard input and its file /input; may be empty
	// InputDir is a folder the backend packs as the job's read-only /input, instead
	// of Input; "" none.
	InputDir string
	Args     []string
	Env      []string      // NAME=value
	MaxPrice uint64        // the most the run may cost, in coins; above 0
	Deadline time.Duration // how long the network gives a provider to post the result
	// MemoryMiB and WallTime cap the run; 0 takes the defaults.
	MemoryMiB uint64
	WallTime  time.Duration
}

// JobResult is a posted result, fetched.
type JobResult struct {
	Status string // "ok", "failed" or "limit"
	Reason string // why a run that did not end ok ended, in words
	Stdout []byte
	Stderr []byte
	Files  []JobFile // what the job left in /output, in path order
}

// JobFile is one file a job left in /output.
type JobFile struct {
	Path string // slash-separated, relative to /output
	Size int
}

// JobView is one of the wallet's jobs as the node last knows it.
type JobView struct {
	ID     string
	Name   string    // the template's name or the request's Name
	Opened time.Time // zero when not known
	// Phase is "submitted" (no block holds it yet), "open" (waiting for a provider),
	// "accepted" (a provider runs it), "posted" (a result is posted), "disputed" (a
	// mediator re-executes it) or "closed".
	Phase string
	// Outcome says how a closed job ended: "paid", "withdrawn", "provider-late",
	// "buyer-late", "provider-fined", "buyer-fined" or "mediator-late"; "" before.
	Outcome string
	// Reason says in words why no provider took an open job yet, e.g. "the price is
	// too low: …"; "" otherwise.
	Reason   string
	Provider string // the accepting provider's address; "" before
	Price    uint64 // the price charged, in coins; 0 until a provider accepted
	// Status is how the provider says the run ended: "ok", "failed" (the module
	// exited with an error) or "limit" (it hit the memory, time or output cap); ""
	// before a result.
	Status     string
	Output     bool   // a result was posted: JobOutput fetches it
	OutputSize uint64 // the output's length once this node fetched it, else 0
	Checked    bool   // this node re-executed the job and the output matched
	LastError  string // the last thing that went wrong handling it, in words
}

// SettingsView is what the Settings screen shows and changes.
type SettingsView struct {
	StartAtLogin  bool
	Notifications bool
	DataDir       string
	Network       string // the network file, or "" for the embedded demo network
	Theme         string // one of Themes
	NetworkName   string // the network in use
	NextNetwork   string // the network chosen for the next start; "" the local demo network
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
	// The tip's certificate: round, signers, of a set of SetSize; SetSize 0 when the
	// node has not verified a block since it started.
	CertRound            uint32
	CertSigners, SetSize int
	// The decentralized clock's calibration: the network's cycle and this computer's,
	// from CycleBlocks blocks.
	GlobalCycle, PrivateCycle time.Duration
	CycleBlocks               int
}

// LotteryView is the last draw, the epoch being drawn and the wins to expect.
type LotteryView struct {
	Current   uint64 // the epoch whose tickets are being collected
	LastEpoch uint64 // 0 while no block was verified since the app started
	Winner    string // the last epoch's winner; "" when it had no valid ticket
	Tickets   uint32 // admitted tickets it was drawn from
	MyTicket  bool   // this node sent a ticket for the last epoch
	MyRank    int    // 1 won, 2… payroll place, 0 not paid
	// Expected at this node's hash rate, from the tickets recent blocks admitted.
	Admission, PerEpoch, PerDay, PayrollDay float64
	Won, Epochs                             int // actual wins in those recent epochs
}

// TrusteeView is one trustee as the node sees it.
type TrusteeView struct {
	Key       string // the trustee's public key
	Seniority uint64 // order of joining: 0 for the first
	Bond      uint64
	Leaving   bool // leaves at the next membership boundary
	Slashed   bool // caught equivocating: its bond is burned
	Connected bool
	Latency   time.Duration // round trip; 0 while not measured
	// Signed of Of: the recent certificates the node verified that carry this
	// trustee's precommit.
	Signed, Of int
}

// EarningsView totals the ledger by source over the dashboard's windows.
type EarningsView struct {
	Today, Week, Month map[string]uint64 // by source: win, payroll, …
	// Days are the earnings by source of each local calendar day of the last
	// EarningDays days, from FirstDay's to today's, the last; Hours those of each
	// hour of today, from midnight.
	FirstDay time.Time
	Days     []map[string]uint64
	Hours    []map[string]uint64
}

// EarningDays is how many days the dashboard's chart shows, today included.
const EarningDays = 30

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
	Always  bool // run mode Always: the preferences never hold sharing back
	Running bool // the governor lets work run now
	Reason  string
	Preset  string
	Presets []string
	// The user's one-click choices in force (SharingControl): share-now until
	// ShareNowUntil, a pause until resumed, a snooze until SnoozedUntil; a time
	// that passed is no choice in force.
	ShareNowUntil time.Time
	PausedByUser  bool
	SnoozedUntil  time.Time
	// What the governor last measured, at SampledAt (zero: nothing yet); each
	// figure with whether it could be read.
	SampledAt                time.Time
	OwnCPU                   float64 // Daoli and its workers, % of the whole machine
	OwnCPUKnown              bool
	OwnMemory, MemoryTotal   uint64
	OwnMemoryKnown, MemKnown bool
	GPUs                     []string // names of the graphics processors found
	GPUsKnown                bool
	GPUJobs                  bool // this node is registered as a provider of GPU jobs (the webgpu executor)
}

// SwitchedOn is what the sharing switch shows: on, and not paused by the user. A
// pause shows as the switch off, and switching it on ends the pause
// (capacity.Settings.Switch).
func (v SharingView) SwitchedOn() bool { return v.On && !v.PausedByUser }

// ActivityView is what the Share screen adds to SharingView: the rules in force and
// what runs now. It costs more to gather, so only that screen asks.
type ActivityView struct {
	// Rules are the governor's settings in force, one line each.
	Rules []string
	// Now: whether the miner works, at what rate, and the jobs run for buyers.
	Mining   bool
	HashRate float64 // attempts per second while mining
	Runs     []RunView
}

// SharingDetail is the governor's detail under the presets (docs/capacity.md).
// Percentages are 0–100; zero switches a threshold off.
type SharingDetail struct {
	Mode                  string // auto, always or never
	InUseAfter            time.Duration
	InUseCores, IdleCores int
	InUseDuty, IdleDuty   float64 // percent of each period the cores work
	PauseAboveOtherCPU    float64
	PauseOnBattery        bool
	MinBatteryCharge      float64
	TempCeiling           float64 // °C
	TempResume            float64
	MemoryCap             float64
	ExclusivePrograms     []string
	Windows               []string // "Mon 09:00–17:00"; none: any time
	GPUMode               string
	GPUWhileInUse         bool
}

// PricingView is the Share screen's price: what this computer asks per second of a
// job's time limit and how many jobs at once, its provider record as last proven,
// and the suggested price and slots with the sentence that says how they were reached.
type PricingView struct {
	Price uint64
	Slots int
	// Registered: the chain holds a provider record of this computer, with
	// RegisteredPrice and RegisteredSlots (0 while sharing is off).
	Registered      bool
	RegisteredPrice uint64
	RegisteredSlots int
	SuggestedPrice  uint64
	SuggestedSlots  int
	Suggestion      string // "" when there is none
	// NotProvider says why this computer cannot sell compute, e.g. without a
	// wallet; "" when it can.
	NotProvider string
}

// RunView is a job this computer runs for a buyer now.
type RunView struct {
	Deal, Module string
	Price        uint64 // 0 until the provider's accept is certified
	Paused       bool
}

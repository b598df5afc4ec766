package chain

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/daolicloud/daoli/node/keys"
	"github.com/multiformats/go-multiaddr"
)

// Body is the kind-specific part of a transaction.
type Body interface {
	Kind() TxKind
	// validate checks the shape of the body, without state.
	validate() error
}

func newBody(k TxKind) Body {
	switch k {
	case KindTransfer:
		return new(Transfer)
	case KindTrusteeBond:
		return new(TrusteeBond)
	case KindTrusteeUnbond:
		return new(TrusteeUnbond)
	case KindEvidence:
		return new(Evidence)
	case KindProviderRegister:
		return new(ProviderRegister)
	case KindDealOpen:
		return new(DealOpen)
	case KindDealAccept:
		return new(DealAccept)
	case KindResultPost:
		return new(ResultPost)
	case KindResultAccept:
		return new(ResultAccept)
	case KindResultReject:
		return new(ResultReject)
	case KindVerdict:
		return new(Verdict)
	case KindDealTimeout:
		return new(DealTimeout)
	}
	panic(fmt.Sprintf("chain: no body for kind %d", k))
}

// Limits on variable-length body fields.
const (
	MaxMemo       = 256
	MaxAddrs      = 8
	MaxAddrLen    = 256
	MaxArgs       = 64
	MaxArgLen     = 1024
	MaxMediators  = 16
	MaxAvoid      = 16 // DealOpen.Avoid: more than a batch's attempts of a task
	MaxExecutors  = 8
	MaxLabel      = 128
	MaxGPUs       = 8
	MaxDealStatus = 3
	MaxSlots      = 64
	// MaxDealMemoryMiB and MaxDealWallTimeMs bound a deal's limits: what the sandbox
	// runs at most (node/compute's MaxMemoryBytes and MaxWallTime).
	MaxDealMemoryMiB  = 4096
	MaxDealWallTimeMs = 3_600_000
	// MaxDealOutputFiles bounds DealLimits.OutputFiles (node/compute's MaxOutputFiles).
	MaxDealOutputFiles = 100_000
)

func checkText(what, s string, limit int) error {
	if len(s) > limit {
		return fmt.Errorf("%s longer than %d bytes", what, limit)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not UTF-8", what)
	}
	return nil
}

// CheckEnv refuses an environment the sandbox would not take: more than MaxArgs
// variables, one that is not NAME=value (a name, no NUL), or a name twice.
func CheckEnv(env []string) error {
	if len(env) > MaxArgs {
		return fmt.Errorf("more than %d environment variables", MaxArgs)
	}
	seen := make(map[string]bool, len(env))
	for _, kv := range env {
		if err := checkText("environment variable", kv, MaxArgLen); err != nil {
			return err
		}
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" || strings.ContainsRune(kv, 0) {
			return fmt.Errorf("environment variable %q is not NAME=value", kv)
		}
		if seen[name] {
			return fmt.Errorf("environment variable %s twice", name)
		}
		seen[name] = true
	}
	return nil
}

// Transfer moves Amount from the sender to To.
type Transfer struct {
	_      struct{} `cbor:",toarray"`
	To     keys.Address
	Amount uint64
	Memo   string
}

func (*Transfer) Kind() TxKind { return KindTransfer }
func (b *Transfer) validate() error {
	if b.Amount == 0 {
		return errors.New("zero amount")
	}
	return checkText("memo", b.Memo, MaxMemo)
}

// TrusteeBond locks Amount as the sender's trustee bond; the sender joins the trustee
// set at the next membership boundary, reachable at Addrs (libp2p multiaddrs).
type TrusteeBond struct {
	_      struct{} `cbor:",toarray"`
	Amount uint64
	Addrs  []string
}

func (*TrusteeBond) Kind() TxKind { return KindTrusteeBond }
func (b *TrusteeBond) validate() error {
	if b.Amount == 0 {
		return errors.New("zero bond")
	}
	return validateAddrs(b.Addrs)
}

func validateAddrs(addrs []string) error {
	if len(addrs) == 0 || len(addrs) > MaxAddrs {
		return fmt.Errorf("want 1 to %d addresses, got %d", MaxAddrs, len(addrs))
	}
	for _, a := range addrs {
		if len(a) > MaxAddrLen {
			return fmt.Errorf("address longer than %d bytes", MaxAddrLen)
		}
		if _, err := multiaddr.NewMultiaddr(a); err != nil {
			return fmt.Errorf("address %q: %v", a, err)
		}
	}
	return nil
}

// TrusteeUnbond makes the sender leave the trustee set at the next membership boundary;
// the bond returns after the unbonding delay.
type TrusteeUnbond struct {
	_ struct{} `cbor:",toarray"`
}

func (*TrusteeUnbond) Kind() TxKind    { return KindTrusteeUnbond }
func (*TrusteeUnbond) validate() error { return nil }

// Evidence proves that a trustee signed two votes of one kind, epoch and round for
// different blocks.
type Evidence struct {
	_ struct{} `cbor:",toarray"`
	A Vote
	B Vote
}

func (*Evidence) Kind() TxKind { return KindEvidence }
func (b *Evidence) validate() error {
	a, c := b.A, b.B
	if a.Kind != c.Kind || a.ChainID != c.ChainID || a.Epoch != c.Epoch || a.Round != c.Round || a.Trustee != c.Trustee {
		return errors.New("votes are not of one trustee, kind, epoch and round")
	}
	if a.Block == c.Block {
		return errors.New("votes are for the same block")
	}
	if !a.Kind.valid() {
		return errors.New("unknown vote kind")
	}
	return nil
}

// ProviderSpec describes a provider's machine, as measured by its capacity probe.
type ProviderSpec struct {
	_         struct{} `cbor:",toarray"`
	CPUModel  string
	Cores     uint32
	MemoryMiB uint64
	GPUs      []string
	Score     uint64 // single-core job throughput from the capacity check
	// MaxWallTimeMs is the longest wall-time limit of a deal the provider takes; 0
	// takes up to MaxDealWallTimeMs.
	MaxWallTimeMs uint64
}

// ProviderRegister registers or updates the sender as a compute provider. Registering
// again replaces the spec, executors, price and slots, and makes a provider that had
// let an offer lapse eligible again.
type ProviderRegister struct {
	_         struct{} `cbor:",toarray"`
	Spec      ProviderSpec
	Executors []string
	Price     uint64 // per core-second of the deal's wall-time limit
	Slots     uint32 // deals it runs at once; 0 takes no new deals
}

func (*ProviderRegister) Kind() TxKind { return KindProviderRegister }
func (b *ProviderRegister) validate() error {
	if b.Spec.Cores == 0 || b.Spec.MemoryMiB == 0 {
		return errors.New("spec without cores or memory")
	}
	if err := checkText("CPU model", b.Spec.CPUModel, MaxLabel); err != nil {
		return err
	}
	if len(b.Spec.GPUs) > MaxGPUs {
		return fmt.Errorf("more than %d GPUs", MaxGPUs)
	}
	for _, g := range b.Spec.GPUs {
		if err := checkText("GPU", g, MaxLabel); err != nil {
			return err
		}
	}
	if len(b.Executors) == 0 || len(b.Executors) > MaxExecutors {
		return fmt.Errorf("want 1 to %d executors", MaxExecutors)
	}
	for _, e := range b.Executors {
		if e == "" {
			return errors.New("empty executor name")
		}
		if err := checkText("executor", e, MaxLabel); err != nil {
			return err
		}
	}
	if b.Spec.MaxWallTimeMs > MaxDealWallTimeMs {
		return fmt.Errorf("a longest wall time of %d ms, over the %d ms a deal may ask for", b.Spec.MaxWallTimeMs, MaxDealWallTimeMs)
	}
	if b.Price == 0 {
		return errors.New("zero price")
	}
	if b.Slots > MaxSlots {
		return fmt.Errorf("more than %d slots", MaxSlots)
	}
	return nil
}

// DealLimits bound what a job may use.
type DealLimits struct {
	_          struct{} `cbor:",toarray"`
	MemoryMiB  uint64
	WallTimeMs uint64
	OutputMax  uint64 // bytes of standard output, and bytes written to /output
	// OutputFiles caps the files and directories the job makes in a writable /output;
	// 0 gives it no /output.
	OutputFiles uint32
}

// DealOpen opens a compute deal and escrows MaxPrice and BuyerDeposit.
type DealOpen struct {
	_      struct{} `cbor:",toarray"`
	Module Hash
	Input  Hash
	// InputTree says Input is a packed directory tree (node/compute's PackTree) the
	// job sees under /input; otherwise Input is one file, its standard input.
	InputTree    bool
	Args         []string
	Env          []string // NAME=value, the job's whole environment
	Limits       DealLimits
	MaxPrice     uint64
	BuyerDeposit uint64
	Deadline     uint64 // epoch
	Mediators    []keys.PublicKey
	// Avoid names providers the solver must not offer the deal to: a batch's retry of
	// a task leaves out the providers fined or late for that task, which may still be
	// up and the cheapest.
	Avoid []keys.Address
	// Executor is what runs the module: empty for ExecutorWASI, or ExecutorWebGPU for
	// a GPU job (the module is then a node/gpu manifest). The WASI name is not spelled
	// out, so each deal has one encoding.
	Executor string
}

// ExecutorName is the executor deal b asks for: ExecutorWASI unless it names another.
func (b *DealOpen) ExecutorName() string {
	if b.Executor == "" {
		return ExecutorWASI
	}
	return b.Executor
}

func (*DealOpen) Kind() TxKind { return KindDealOpen }
func (b *DealOpen) validate() error {
	if b.Module.IsZero() {
		return errors.New("no module")
	}
	if len(b.Args) > MaxArgs {
		return fmt.Errorf("more than %d arguments", MaxArgs)
	}
	for _, a := range b.Args {
		if err := checkText("argument", a, MaxArgLen); err != nil {
			return err
		}
	}
	if b.InputTree && b.Input.IsZero() {
		return errors.New("an input tree without an input")
	}
	if err := CheckEnv(b.Env); err != nil {
		return err
	}
	if b.Limits.MemoryMiB == 0 || b.Limits.WallTimeMs == 0 || b.Limits.OutputMax == 0 {
		return errors.New("limits must be positive")
	}
	if b.Limits.MemoryMiB > MaxDealMemoryMiB {
		return fmt.Errorf("a memory limit of %d MiB, over the %d MiB a deal may ask for", b.Limits.MemoryMiB, MaxDealMemoryMiB)
	}
	if b.Limits.OutputFiles > MaxDealOutputFiles {
		return fmt.Errorf("a cap of %d files in /output, over the %d a deal may ask for", b.Limits.OutputFiles, MaxDealOutputFiles)
	}
	if b.Limits.WallTimeMs > MaxDealWallTimeMs {
		return fmt.Errorf("a wall-time limit of %d ms, over the %d ms a deal may ask for", b.Limits.WallTimeMs, MaxDealWallTimeMs)
	}
	if b.MaxPrice == 0 {
		return errors.New("zero price")
	}
	if b.Deadline == 0 {
		return errors.New("no deadline")
	}
	if len(b.Mediators) > MaxMediators {
		return fmt.Errorf("more than %d mediators", MaxMediators)
	}
	if len(b.Avoid) > MaxAvoid {
		return fmt.Errorf("more than %d providers to avoid", MaxAvoid)
	}
	if _, carry := bits.Add64(b.MaxPrice, b.BuyerDeposit, 0); carry != 0 {
		return errors.New("price and deposit overflow")
	}
	if b.Executor != "" && b.Executor != ExecutorWebGPU {
		return fmt.Errorf("executor %q: a deal names none (%s) or %s", truncLabel(b.Executor), ExecutorWASI, ExecutorWebGPU)
	}
	return nil
}

// truncLabel is s cut to MaxLabel bytes, for an error message.
func truncLabel(s string) string {
	if len(s) > MaxLabel {
		return s[:MaxLabel] + "…"
	}
	return s
}

// DealAccept is the offered provider's acceptance: Price is the charge it quotes for
// the deal (its price times the wall-time limit in seconds, see Charge) and Deposit
// the DepositFactor times that which it puts in escrow.
type DealAccept struct {
	_       struct{} `cbor:",toarray"`
	Deal    Hash
	Price   uint64
	Deposit uint64
}

func (*DealAccept) Kind() TxKind { return KindDealAccept }
func (b *DealAccept) validate() error {
	if b.Deal.IsZero() {
		return errors.New("no deal")
	}
	if b.Price == 0 {
		return errors.New("zero price")
	}
	if hi, lo := bits.Mul64(b.Price, DepositFactor); hi != 0 || lo != b.Deposit {
		return fmt.Errorf("deposit %d is not %d times the price %d", b.Deposit, DepositFactor, b.Price)
	}
	return nil
}

// DealStatus is how a job ended.
type DealStatus uint8

// Job outcomes a provider can report.
const (
	StatusOK DealStatus = iota + 1
	StatusFailed
	StatusLimit
)

// String names a status as the control API and the screens show it: ok, failed (the
// module exited with an error) or limit (it hit the memory, time or output cap).
func (s DealStatus) String() string {
	return [...]string{"", "ok", "failed", "limit"}[min(int(s), MaxDealStatus)]
}

// ResultPost is the provider's result of a deal.
type ResultPost struct {
	_      struct{} `cbor:",toarray"`
	Deal   Hash
	Output Hash
	Status DealStatus
}

func (*ResultPost) Kind() TxKind { return KindResultPost }
func (b *ResultPost) validate() error {
	if b.Deal.IsZero() {
		return errors.New("no deal")
	}
	if b.Status == 0 || b.Status > MaxDealStatus {
		return fmt.Errorf("unknown status %d", b.Status)
	}
	return nil
}

// ResultAccept is the buyer accepting a result: the provider is paid.
type ResultAccept struct {
	_    struct{} `cbor:",toarray"`
	Deal Hash
}

func (*ResultAccept) Kind() TxKind { return KindResultAccept }
func (b *ResultAccept) validate() error {
	if b.Deal.IsZero() {
		return errors.New("no deal")
	}
	return nil
}

// ResultReject is the buyer disputing a result: it goes to mediation.
type ResultReject struct {
	_      struct{} `cbor:",toarray"`
	Deal   Hash
	Reason string
}

func (*ResultReject) Kind() TxKind { return KindResultReject }
func (b *ResultReject) validate() error {
	if b.Deal.IsZero() {
		return errors.New("no deal")
	}
	return checkText("reason", b.Reason, MaxMemo)
}

// Verdict is a mediator's ruling after re-executing a disputed job.
type Verdict struct {
	_               struct{} `cbor:",toarray"`
	Deal            Hash
	Output          Hash
	ProviderAtFault bool
}

func (*Verdict) Kind() TxKind { return KindVerdict }
func (b *Verdict) validate() error {
	if b.Deal.IsZero() {
		return errors.New("no deal")
	}
	return nil
}

// DealTimeout ends a deal whose current step missed its deadline; the party that
// stalled pays (see market.go). A buyer may also send it for a deal no provider has
// accepted yet, at any time, to withdraw it.
type DealTimeout struct {
	_    struct{} `cbor:",toarray"`
	Deal Hash
}

func (*DealTimeout) Kind() TxKind { return KindDealTimeout }
func (b *DealTimeout) validate() error {
	if b.Deal.IsZero() {
		return errors.New("no deal")
	}
	return nil
}

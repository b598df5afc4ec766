package control

import (
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
)

// Status is the node's state as `daoli status --json` prints it.
type Status struct {
	ChainID       string       `json:"chain_id"`
	Network       string       `json:"network"`
	Demo          bool         `json:"demo"`
	Height        uint64       `json:"height"`
	Tip           chain.Hash   `json:"tip"`
	Time          time.Time    `json:"time"`
	Target        uint64       `json:"target"`
	Synced        bool         `json:"synced"`
	Peers         int          `json:"peers"`
	Trustees      int          `json:"trustees"`
	Address       keys.Address `json:"address"`
	Balance       uint64       `json:"balance"`
	BalanceHeight uint64       `json:"balance_height"`
	Wins          int          `json:"wins"`
	Payrolls      int          `json:"payrolls"`
	Earned        uint64       `json:"earned"`
	Mining        bool         `json:"mining"`
	Tickets       int          `json:"tickets"`
	LastError     string       `json:"last_error,omitempty"`
	// The decentralized clock's calibration, as the dashboard's clock line shows it:
	// the network's cycle and this computer's, from CycleBlocks blocks.
	GlobalCycle  time.Duration `json:"global_cycle,omitempty"`
	PrivateCycle time.Duration `json:"private_cycle,omitempty"`
	CycleBlocks  int           `json:"cycle_blocks,omitempty"`
}

// StatusOf converts the light node's snapshot.
func StatusOf(s light.Status) Status {
	return Status{ChainID: s.ChainID, Height: s.Height, Tip: s.Tip, Time: s.Time, Target: s.Target, Synced: s.Synced,
		Peers: s.Peers, Trustees: s.Trustees, Address: s.Address, Balance: s.Balance, BalanceHeight: s.BalanceAt,
		Wins: s.Wins, Payrolls: s.Payrolls, Earned: s.Earned, Mining: s.Mining, Tickets: s.Tickets, LastError: s.LastError,
		GlobalCycle: s.GlobalCycle, PrivateCycle: s.PrivateCycle, CycleBlocks: s.CycleBlocks}
}

// Balance is a proven account.
type Balance struct {
	Address keys.Address `json:"address"`
	Balance uint64       `json:"balance"`
	Nonce   uint64       `json:"nonce"`
	Height  uint64       `json:"height"` // the verified header whose state root proves it
}

// Entry is one ledger line.
type Entry struct {
	Height uint64        `json:"height"`
	Index  uint32        `json:"index"`
	Block  chain.Hash    `json:"block"`
	Time   time.Time     `json:"time"`
	Source string        `json:"source"`
	Amount int64         `json:"amount"` // negative when it left the wallet
	Peer   *keys.Address `json:"peer,omitempty"`
	Tx     *chain.Hash   `json:"tx,omitempty"`
}

// EntryOf converts a ledger entry.
func EntryOf(e light.Entry) Entry {
	out := Entry{Height: e.Height, Index: e.Index, Block: e.Block, Time: e.At().UTC(), Source: e.Source.String(), Amount: e.Signed()}
	if e.Peer != (keys.Address{}) {
		p := e.Peer
		out.Peer = &p
	}
	if !e.Tx.IsZero() {
		tx := e.Tx
		out.Tx = &tx
	}
	return out
}

// Summary is the earnings by source over the dashboard's windows.
type Summary struct {
	Today   map[string]uint64 `json:"today"`
	Week    map[string]uint64 `json:"week"`
	Month   map[string]uint64 `json:"month"`
	All     map[string]uint64 `json:"all"`
	Earned  map[string]uint64 `json:"earned"` // the earning sources' sums, per window
	Ledger  int64             `json:"ledger"`
	Genesis uint64            `json:"genesis"`
}

func totals(t light.Totals) map[string]uint64 {
	out := make(map[string]uint64, len(t))
	for s, v := range t {
		out[s.String()] = v
	}
	return out
}

// SummaryOf converts the ledger's totals.
func SummaryOf(s light.Summary) Summary {
	return Summary{Today: totals(s.Today), Week: totals(s.Week), Month: totals(s.Month), All: totals(s.All),
		Earned: map[string]uint64{"today": s.Today.Earned(), "week": s.Week.Earned(), "month": s.Month.Earned(), "all": s.All.Earned()},
		Ledger: s.Ledger, Genesis: s.Genesis}
}

// SendRequest asks the node to transfer coins from its wallet.
type SendRequest struct {
	To     keys.Address `json:"to"`
	Amount uint64       `json:"amount"`
	Fee    uint64       `json:"fee"`
	Memo   string       `json:"memo,omitempty"`
}

// SendResponse names the transaction a trustee took.
type SendResponse struct {
	Tx chain.Hash `json:"tx"`
}

type errorBody struct {
	Error string `json:"error"`
}

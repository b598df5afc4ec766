package ibft

import (
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/keys"
)

// testbed is a genesis with n trustees and funded users that mine: the fixture of the
// interaction scripts, the simulation, the restore tests and the benchmarks.
type testbed struct {
	genesis  *chain.Genesis
	state0   *chain.State
	trustees []*keys.Key
	users    []*keys.Key
	tickets  map[chain.Hash][]chain.KeyBlock // every user's ticket for the epoch after a tip, by tip
}

func newTestbed(tb testing.TB, n, users int) *testbed {
	tb.Helper()
	net, err := chaintest.New(chaintest.Config{Trustees: n, Users: users})
	if err != nil {
		tb.Fatal(err)
	}
	return &testbed{genesis: net.Genesis, state0: net.State(), trustees: net.Trustees, users: net.Users, tickets: map[chain.Hash][]chain.KeyBlock{}}
}

// ticketsFor returns the tickets of the first count users for the epoch after st,
// mined once per tip.
func (b *testbed) ticketsFor(st *chain.State, count int) []chain.KeyBlock {
	all, ok := b.tickets[st.Tip()]
	if !ok {
		for _, u := range b.users {
			kb, _ := chaintest.MineTicket(u, st)
			all = append(all, *kb)
		}
		b.tickets[st.Tip()] = all
	}
	return all[:min(count, len(all))]
}

// minerIndex names a ticket by its miner.
func (b *testbed) minerIndex(k keys.PublicKey) int {
	for i, u := range b.users {
		if u.Public() == k {
			return i
		}
	}
	return -1
}

func (b *testbed) trusteeIndex(k keys.PublicKey) int {
	for i, t := range b.trustees {
		if t.Public() == k {
			return i
		}
	}
	return -1
}

// start is the fake clock's first reading: a little after genesis.
func (b *testbed) start() time.Time { return b.genesis.Time.Add(10 * time.Second) }

// transferPool is a mempool for tests: each proposal carries one transfer from each
// user whose nonce the tip shows, one coin to the next user.
type transferPool struct {
	users []*keys.Key
}

func (p *transferPool) Payload(st *chain.State, maxBytes int) []chain.Tx {
	var out []chain.Tx
	size := 0
	for i, u := range p.users {
		to := p.users[(i+1)%len(p.users)].Address()
		tx := chain.NewTx(u, st.Params().ChainID, st.Account(u.Address()).Nonce, 1, &chain.Transfer{To: to, Amount: 1})
		size += len(chain.EncodeTx(tx))
		if size > maxBytes {
			break
		}
		out = append(out, *tx)
	}
	return out
}

// lockstep is a lossless network that hands every message over at once: for unit
// tests and benchmarks. drop, when set, loses the messages it returns true for.
type lockstep struct {
	bed  *testbed
	ms   []*Machine
	logs [][]CommittedBlock
	drop func(from, to int, msg *Message) bool
}

func newLockstep(tb testing.TB, bed *testbed, cfg func(i int, c *Config)) *lockstep {
	tb.Helper()
	n := &lockstep{bed: bed, logs: make([][]CommittedBlock, len(bed.trustees))}
	for i, k := range bed.trustees {
		c := Config{Key: k, State: bed.state0}
		if cfg != nil {
			cfg(i, &c)
		}
		m, err := New(c, nil)
		if err != nil {
			tb.Fatal(err)
		}
		m.Tick(bed.start())
		n.ms = append(n.ms, m)
	}
	return n
}

// closeAll closes the current epoch of every machine with the first tickets users'
// tickets.
func (n *lockstep) closeAll(tb testing.TB, tickets int) {
	tb.Helper()
	for _, m := range n.ms {
		st := m.State()
		if err := m.CloseEpoch(st.Epoch()+1, n.bed.ticketsFor(st, tickets), 0); err != nil {
			tb.Fatal(err)
		}
	}
}

// settle handles every Ready and delivers every message until nothing moves.
func (n *lockstep) settle() {
	for moved := true; moved; {
		moved = false
		for i, m := range n.ms {
			if !m.HasReady() {
				continue
			}
			moved = true
			rd := m.Ready()
			n.logs[i] = append(n.logs[i], rd.Committed...)
			m.Advance()
			for _, o := range rd.Messages {
				for j, dst := range n.ms {
					if j == i || !o.Broadcast() && n.bed.trustees[j].Public() != o.To {
						continue
					}
					if n.drop != nil && n.drop(i, j, &o.Message) {
						continue
					}
					_ = dst.Step(o.Message)
				}
			}
		}
	}
}

// restartConfig is the configuration a trustee started with cfg restarts with after
// committing log: its last committed block, state and certificate, as a trustee
// reloads them from its store after a crash.
func restartConfig(cfg Config, log []CommittedBlock) Config {
	if len(log) > 0 {
		last := log[len(log)-1]
		cfg.State, cfg.LastCert, cfg.LastBlock = last.State, last.Cert, last.Block
	}
	return cfg
}

package ibft_test

import (
	"fmt"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/ibft"
)

// Example shows the loop a trustee's driver runs around its machine, here for four
// trustees in one process with a network that delivers at once: feed inputs, then
// handle Ready in order (save, store, send) and Advance.
func Example() {
	net, err := chaintest.New(chaintest.Config{Trustees: 4, Users: 2})
	if err != nil {
		panic(err)
	}
	var machines []*ibft.Machine
	for _, k := range net.Trustees {
		m, err := ibft.New(ibft.Config{Key: k, State: net.State()}, nil)
		if err != nil {
			panic(err)
		}
		machines = append(machines, m)
	}
	now := net.Genesis.Time.Add(time.Minute)
	var wal [4][]ibft.Record
	var tickets []chain.KeyBlock
	for _, u := range net.Users {
		kb, _ := chaintest.MineTicket(u, net.State())
		tickets = append(tickets, *kb)
	}
	for _, m := range machines {
		m.Tick(now) // time enters only here
		if err := m.CloseEpoch(1, tickets, len(tickets)); err != nil {
			panic(err)
		}
	}
	for busy := true; busy; {
		busy = false
		for i, m := range machines {
			if !m.HasReady() {
				continue
			}
			busy = true
			rd := m.Ready()
			wal[i] = append(wal[i], rd.Persist...) // durable before anything is sent
			for _, c := range rd.Committed {
				if i == 0 {
					fmt.Printf("epoch %d committed in round %d by %d signers\n", c.Block.Header.Epoch, c.Cert.Round, len(c.Cert.Sigs))
				}
			}
			for _, o := range rd.Messages {
				data := ibft.EncodeMessage(&o.Message) // what goes on the wire
				for j, dst := range machines {
					if j == i || !o.Broadcast() && net.Trustees[j].Public() != o.To {
						continue
					}
					msg, err := ibft.DecodeMessage(data)
					if err != nil {
						panic(err)
					}
					_ = dst.Step(*msg) // a rejected message is the sender's problem
				}
			}
			m.Advance()
		}
	}
	fmt.Println("trustee 0 saved", len(wal[0]), "records") // its report, prevote and precommit
	// Output:
	// epoch 1 committed in round 0 by 3 signers
	// trustee 0 saved 3 records
}

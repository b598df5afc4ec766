package wire

import (
	"errors"
	"reflect"
	"testing"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/daolicloud/daoli/node/wire/wiretest"
)

// TestDecodeCostRefusesBloat checks that an encoding of nested empty arrays, which the
// CBOR decoder would make into slices of large structs before it reports an error, is
// refused as a bad request without being decoded.
func TestDecodeCostRefusesBloat(t *testing.T) {
	block := wiretest.BlockBloat(chain.Header{ChainID: chaintest.DefaultChainID, Epoch: 1}, 1<<17)
	var err error
	if n := nodetest.Allocated(func() { err = Decode(block, new(CertifiedBlock), p2p.BlockTopicLimit) }); n > 8<<20 {
		t.Fatalf("refusing a bloated block of %d bytes allocated %d bytes", len(block), n)
	}
	if !errors.Is(err, ErrBloated) || !errors.Is(err, ErrBadRequest) {
		t.Fatalf("bloated block: %v", err)
	}
	// Its header alone, the rest left raw, decodes: the blocks topic reads it first.
	var head CertifiedHead
	if err := Decode(block, &head, p2p.BlockTopicLimit); err != nil || head.Block.Header.Epoch != 1 {
		t.Fatalf("header of a bloated block: %v", err)
	}

	// Data that is not well formed is the decoder's to refuse, unless it is bloated
	// before it breaks off.
	vote := &chain.Vote{Kind: chain.Prevote, ChainID: chaintest.DefaultChainID, Epoch: 1}
	vote.Sign(chaintest.TrusteeKey(0))
	cut := ibft.EncodeMessage(&ibft.Message{Vote: vote})
	if err := CheckDecodeCost(cut[:len(cut)/2], reflect.TypeFor[ibft.Message]()); err != nil {
		t.Fatalf("truncated vote: %v", err)
	}
	if err := CheckDecodeCost(block[:len(block)*3/4], reflect.TypeFor[CertifiedBlock]()); !errors.Is(err, ErrBloated) {
		t.Fatalf("truncated bloated block: %v", err)
	}
}

// TestDecodeCostPassesValid checks that valid values, large and small, stay well under
// the bound: they take about their encoding's size once decoded.
func TestDecodeCostPassesValid(t *testing.T) {
	const id = chaintest.DefaultChainID
	user, to := chaintest.UserKey(0), chaintest.UserKey(1)
	b := &chain.Block{Header: chain.Header{ChainID: id, Epoch: 7}}
	for i := range 2000 {
		b.Payload = append(b.Payload, *chain.NewTx(user, id, uint64(i), 1, &chain.Transfer{To: to.Address(), Amount: 1}))
	}
	var tickets []chain.KeyBlock
	for i := range chain.MaxPayroll + 1 {
		kb, _ := chain.NewKeyBlock(chaintest.Key("miner", i), id, 7, chain.Hash{}, user.Address())
		kb.Sign(chaintest.Key("miner", i))
		tickets = append(tickets, *kb)
	}
	b.Payroll = tickets
	var signers []*keys.Key
	for i := range 16 {
		signers = append(signers, chaintest.TrusteeKey(i))
	}
	cert, err := chaintest.Certify(id, b, signers)
	if err != nil {
		t.Fatal(err)
	}
	var reports []ibft.Report
	for _, k := range signers {
		r := ibft.Report{ChainID: id, Epoch: 7, Tickets: tickets}
		r.Sign(k)
		reports = append(reports, r)
	}
	vote := &chain.Vote{Kind: chain.Precommit, ChainID: id, Epoch: 7, Block: b.Hash()}
	vote.Sign(user)
	for _, c := range []struct {
		name string
		v    any
	}{
		{"certified block of 2000 transfers", &CertifiedBlock{Block: *b, Cert: *cert}},
		{"proposal", &ibft.Message{Proposal: &ibft.Proposal{Epoch: 7, ValidRound: ibft.NoRound, Block: *b, Reports: reports}}},
		{"report", &ibft.Message{Report: &reports[0]}},
		{"vote", &ibft.Message{Vote: vote}},
		{"certified", &ibft.Message{Certified: &ibft.Certified{Block: *b, Cert: *cert}}},
		{"submission", &SubmitRequest{Tx: &b.Payload[0]}},
		{"clock request", &ClockRequest{}},
	} {
		data := Encode(c.v)
		w := costWalker{data: data, budget: 1 << 62}
		if !w.value(reflect.TypeOf(c.v).Elem(), 0) {
			t.Fatalf("%s: walk failed", c.name)
		}
		ratio := float64(w.spent) / float64(len(data))
		t.Logf("%s: %d bytes decode to %d (%.2f×)", c.name, len(data), w.spent, ratio)
		if len(data) > decodeSlack && ratio > maxDecodeRatio/2 {
			t.Fatalf("%s: decodes to %.2f times its %d bytes, close to the bound of %d", c.name, ratio, len(data), maxDecodeRatio)
		}
		if err := CheckDecodeCost(data, reflect.TypeOf(c.v).Elem()); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}

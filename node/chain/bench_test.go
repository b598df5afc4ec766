package chain

import (
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/daolicloud/daoli/node/keys"
)

// panicT lets fixtures that outlive one benchmark run report a broken setup.
type panicT struct{}

func (panicT) Helper()                           {}
func (panicT) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (panicT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func perSecond(b *testing.B, n int, unit string) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit)
}

func BenchmarkTxDecodeVerify(b *testing.B) {
	k := testKey("user", 0)
	data := EncodeTx(NewTx(k, testChain, 7, 1, &Transfer{To: testKey("user", 1).Address(), Amount: 1000, Memo: "invoice 42"}))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		tx, err := DecodeTx(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ValidateBasic(testChain); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, b.N, "tx/s")
}

// blockOf1000 is a certified chain's next block: a winner, a full payroll and 1,000
// transfers, each from another sender.
var blockOf1000 = sync.OnceValues(func() (*State, *Block) {
	const senders = 1000
	n := newTestNet(panicT{}, 4, senders)
	n.step(nil, nil)
	var txs []*Tx
	for i, u := range n.users {
		txs = append(txs, n.tx(u, 1, &Transfer{To: n.users[(i+1)%senders].Address(), Amount: 10}))
	}
	w, p := n.tickets(n.users[:4]...)
	blk, _, _ := n.propose(n.proposal(w, p, txs...))
	return n.state, blk
})

func BenchmarkApplyBlock1000(b *testing.B) {
	parent, blk := blockOf1000()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Apply(parent, blk); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, b.N, "blocks/s")
	perSecond(b, b.N*len(blk.Payload), "tx/s")
}

// bigState holds 100,000 accounts besides the trustees.
var bigState = sync.OnceValues(func() (*State, []keys.Address) {
	const accounts = 100_000
	g := testGenesis([]*keys.Key{testKey("trustee", 0)}, nil)
	addrs := make([]keys.Address, accounts)
	g.Accounts = make([]GenesisAccount, accounts)
	for i := range addrs {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		h := hashTagged("bench/account", seed[:])
		copy(addrs[i][:], h[:])
		g.Accounts[i] = GenesisAccount{Address: addrs[i], Balance: uint64(i) + 1}
	}
	s, err := g.State()
	if err != nil {
		panic(err)
	}
	return s, addrs
})

func BenchmarkProveAccount(b *testing.B) {
	s, addrs := bigState()
	b.ReportAllocs()
	i, size := 0, 0
	for b.Loop() {
		_, p := s.ProveAccount(addrs[i%len(addrs)])
		size += len(p.Siblings)
		i++
	}
	b.ReportMetric(float64(size)/float64(i), "siblings/proof")
}

func BenchmarkVerifyAccount(b *testing.B) {
	s, addrs := bigState()
	root := s.Root()
	proofs := make([]Proof, 1024)
	total := 0
	for i := range proofs {
		_, proofs[i] = s.ProveAccount(addrs[i*97%len(addrs)])
		total += len(EncodeProof(&proofs[i]))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		j := i % len(proofs)
		if _, err := VerifyAccount(root, addrs[j*97%len(addrs)], &proofs[j]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(total)/float64(len(proofs)), "B/proof")
}

func BenchmarkMerkleRoot1000(b *testing.B) {
	leaves := make([]Hash, 1000)
	for i := range leaves {
		leaves[i] = hashTagged("leaf", []byte{byte(i), byte(i >> 8)})
	}
	b.ReportAllocs()
	for b.Loop() {
		MerkleRoot(leaves)
	}
}

// BenchmarkLoadState100k is the cost of rebuilding a state of 100,000 accounts from its
// stored leaves, as a node does at start.
func BenchmarkLoadState100k(b *testing.B) {
	s, _ := bigState()
	var leaves []Change
	if err := s.ForEach(func(k Hash, v []byte) error {
		leaves = append(leaves, Change{Key: k, Value: v})
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(leaves, s.Tip(), s.Root()); err != nil {
			b.Fatal(err)
		}
	}
}

// certOf is a certificate of block hash h in epoch 9 signed by every one of n
// trustees, with the set that verifies it.
func certOf(b *testing.B, n int) (*Cert, Hash, []Trustee) {
	b.Helper()
	h := hashTagged("bench/block", []byte{byte(n)})
	set := make([]Trustee, n)
	votes := make([]*Vote, n)
	for i := range n {
		k := testKey("trustee", i)
		set[i] = Trustee{Key: k.Public(), Payout: k.Address(), Bond: 1}
		votes[i] = &Vote{Kind: Precommit, ChainID: testChain, Epoch: 9, Round: 1, Block: h, Time: int64(i)}
		votes[i].Sign(k)
	}
	c, err := NewCert(votes)
	if err != nil {
		b.Fatal(err)
	}
	return c, h, set
}

// oneByOne checks each signature as it is handed over: certificate verification
// without batching.
type oneByOne struct{ bad int }

func (o *oneByOne) Add(pub keys.PublicKey, msg, sig []byte) {
	if !pub.Verify(msg, sig) {
		o.bad++
	}
}

// BenchmarkCertVerify compares Cert.Verify, which batch-verifies the signatures, with
// the same checks verifying each signature one by one, for certificates signed by 4,
// 16 and 64 trustees; certs/s is the rate on one core. Nothing is cached between
// iterations.
func BenchmarkCertVerify(b *testing.B) {
	for _, n := range []int{4, 16, 64} {
		c, h, set := certOf(b, n)
		b.Run(fmt.Sprintf("signers=%d/batch", n), func(b *testing.B) {
			for b.Loop() {
				if err := c.Verify(testChain, 9, h, set); err != nil {
					b.Fatal(err)
				}
			}
			perSecond(b, b.N, "certs/s")
		})
		b.Run(fmt.Sprintf("signers=%d/one-by-one", n), func(b *testing.B) {
			for b.Loop() {
				var o oneByOne
				if err := c.AddTo(&o, testChain, 9, h, set); err != nil || o.bad > 0 {
					b.Fatal(err, o.bad)
				}
			}
			perSecond(b, b.N, "certs/s")
		})
	}
}

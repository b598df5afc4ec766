package light

import (
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/keys"
)

// testChain builds count certified blocks with transfers and tickets.
func testChain(t testing.TB, cfg chaintest.Config, count int) (*chaintest.Net, []Link) {
	t.Helper()
	net, err := chaintest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := net.Run(count, chaintest.Step{Transfers: 3, Tickets: 3})
	if err != nil {
		t.Fatal(err)
	}
	return net, links(cs)
}

func links(cs []*chaintest.Committed) []Link {
	out := make([]Link, len(cs))
	for i, c := range cs {
		out[i] = Link{Block: c.Block, Cert: c.Cert}
	}
	return out
}

func newFollower(t testing.TB, net *chaintest.Net) *Follower {
	t.Helper()
	f, err := NewFollower(net.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFollowerFollows(t *testing.T) {
	net, ls := testChain(t, chaintest.Config{Trustees: 4}, 40)
	for _, split := range []int{1, 7, 40} {
		f := newFollower(t, net)
		for i := 0; i < len(ls); i += split {
			j := min(i+split, len(ls))
			n, err := f.Verify(ls[i:j])
			if err != nil || n != j-i {
				t.Fatalf("split %d: links %d..%d: accepted %d, %v", split, i, j, n, err)
			}
		}
		if f.Height() != 40 || f.TipHash() != net.State().Tip() {
			t.Fatalf("split %d: tip %d %s, chain at %s", split, f.Height(), f.TipHash().Short(), net.State().Tip().Short())
		}
	}
}

// clone copies a block deeply enough to tamper with it.
func clone(t *testing.T, b *chain.Block) *chain.Block {
	t.Helper()
	c, err := chain.DecodeBlock(chain.EncodeBlock(b))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func cloneCert(t *testing.T, c *chain.Cert) *chain.Cert {
	t.Helper()
	out, err := chain.DecodeCert(chain.EncodeCert(c))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFollowerRefusesForgeries feeds a good run whose block 6 is forged one way or
// another: the five before it are accepted, the forgery is refused with the reason, and
// the tip stays at 5.
func TestFollowerRefusesForgeries(t *testing.T) {
	net, ls := testChain(t, chaintest.Config{Trustees: 4}, 10)
	outsiders := []*keys.Key{chaintest.Key("outsider", 0), chaintest.Key("outsider", 1), chaintest.Key("outsider", 2), chaintest.Key("outsider", 3)}
	const at = 5 // index of block 6
	cases := []struct {
		name   string
		forge  func(l *Link)
		target error
	}{
		{"flipped signature", func(l *Link) {
			l.Cert = cloneCert(t, l.Cert)
			l.Cert.Sigs[1].Sig[7] ^= 1
		}, chain.ErrBadSignature},
		{"certificate from non-trustees", func(l *Link) {
			c, err := chaintest.Certify(net.Config.ChainID, l.Block, outsiders)
			if err != nil {
				t.Fatal(err)
			}
			l.Cert = c
		}, chain.ErrBadCert},
		{"certificate below quorum", func(l *Link) {
			c, err := chaintest.Certify(net.Config.ChainID, l.Block, net.Trustees[:2])
			if err != nil {
				t.Fatal(err)
			}
			l.Cert = c
		}, chain.ErrBadCert},
		{"certificate of another block", func(l *Link) {
			// A block of the same height on a different payload, carrying the real
			// certificate.
			b := clone(t, l.Block)
			b.Payload = b.Payload[:1]
			b.Header.PayloadRoot = chain.PayloadRoot(b.Payload)
			l.Block = b
		}, chain.ErrBadCert},
		{"certificate of the previous block", func(l *Link) { l.Cert = ls[at-1].Cert }, chain.ErrBadCert},
		{"reordered payroll", func(l *Link) {
			b := clone(t, l.Block)
			b.Payroll[0], b.Payroll[1] = b.Payroll[1], b.Payroll[0]
			l.Block = b
		}, chain.ErrBadBlock},
		{"reordered payroll with the root fixed", func(l *Link) {
			b := clone(t, l.Block)
			b.Payroll[0], b.Payroll[1] = b.Payroll[1], b.Payroll[0]
			b.Header.PayrollRoot = chain.PayrollRoot(b.Payroll)
			l.Block = b
		}, chain.ErrBadCert},
		{"swapped winner", func(l *Link) {
			b := clone(t, l.Block)
			w := b.Payroll[0]
			b.Winner, b.Payroll[0] = &w, *b.Winner
			l.Block = b
		}, chain.ErrBadBlock},
		{"transaction removed", func(l *Link) {
			b := clone(t, l.Block)
			b.Payload = b.Payload[1:]
			l.Block = b
		}, chain.ErrBadBlock},
		{"skips a height", func(l *Link) { *l = ls[at+1] }, ErrNotNext},
		{"another chain", func(l *Link) {
			b := clone(t, l.Block)
			b.Header.ChainID = "other"
			l.Block = b
		}, ErrNotNext},
		{"no certificate", func(l *Link) { l.Cert = nil }, ErrBadBlock},
		{"unasked trustee set", func(l *Link) {
			b := clone(t, l.Block)
			b.Header.TrusteeSetHash = chain.TrusteeSetHash(nil)
			l.Block = b
		}, ErrTrusteeSet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run := append([]Link(nil), ls...)
			tc.forge(&run[at])
			f := newFollower(t, net)
			n, err := f.Verify(run)
			if n != at || !errors.Is(err, tc.target) {
				t.Fatalf("accepted %d, err %v; want %d and %v", n, err, at, tc.target)
			}
			if f.Height() != at || f.TipHash() != ls[at-1].Block.Hash() {
				t.Fatalf("tip moved to %d", f.Height())
			}
			t.Logf("refused: %v", err)
			// The honest block is still accepted after the forgery.
			if n, err := f.Verify(ls[at:]); err != nil || n != len(ls)-at {
				t.Fatalf("after the forgery: %d, %v", n, err)
			}
		})
	}
}

// TestFollowerMembership follows a user that bonds and joins the trustee set at a
// membership boundary: the block certified by the new set needs the set sent along,
// and only the set the parent committed to is taken.
func TestFollowerMembership(t *testing.T) {
	net, err := chaintest.New(chaintest.Config{Trustees: 4, Interval: 5})
	if err != nil {
		t.Fatal(err)
	}
	joiner := net.Users[0]
	bond := chain.NewTx(joiner, net.Config.ChainID, 0, 1, &chain.TrusteeBond{Amount: net.Config.Bond, Addrs: []string{"/ip4/127.0.0.1/tcp/4100"}})
	var all []*chaintest.Committed
	c, err := net.Next(chaintest.Step{Txs: []*chain.Tx{bond}})
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, c)
	rest, err := net.Run(11, chaintest.Step{Tickets: 2})
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, rest...)
	ls := links(all)
	change := -1
	for i := 1; i < len(all); i++ {
		if all[i].Block.Header.TrusteeSetHash != all[i-1].Block.Header.TrusteeSetHash {
			change = i
			ls[i].Trustees = all[i-1].State.Active()
		}
	}
	if change < 0 || len(all[change-1].State.Active()) != 5 {
		t.Fatalf("no membership change to 5 trustees in %d blocks", len(all))
	}

	f := newFollower(t, net)
	without := append([]Link(nil), ls...)
	without[change].Trustees = nil
	if n, err := f.Verify(without); n != change || !errors.Is(err, ErrTrusteeSet) {
		t.Fatalf("set not sent along: accepted %d, %v", n, err)
	}
	wrong := append([]Link(nil), ls[change:]...)
	wrong[0].Trustees = all[0].State.Active() // the old set
	if n, err := f.Verify(wrong); n != 0 || !errors.Is(err, ErrTrusteeSet) {
		t.Fatalf("old set sent along: accepted %d, %v", n, err)
	}
	if n, err := f.Verify(ls[change:]); err != nil || n != len(ls)-change {
		t.Fatalf("with the set: accepted %d, %v", n, err)
	}
	if len(f.Set()) != 5 || f.TipHash() != net.State().Tip() {
		t.Fatalf("set of %d at %d", len(f.Set()), f.Height())
	}

	// A follower resumed from the tip and its set goes on; one given another set does not start.
	if _, err := ResumeFollower(f.Tip(), all[0].State.Active(), net.Genesis.Params.MembershipInterval); !errors.Is(err, ErrTrusteeSet) {
		t.Fatalf("resume with the old set: %v", err)
	}
	g, err := ResumeFollower(f.Tip(), f.Set(), net.Genesis.Params.MembershipInterval)
	if err != nil {
		t.Fatal(err)
	}
	more, err := net.Run(3, chaintest.Step{Tickets: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := g.Verify(links(more)); err != nil || n != 3 {
		t.Fatalf("resumed: %d, %v", n, err)
	}
}

// TestFollowerChecksAQuorum: the follower verifies a quorum of a certificate's
// signatures; one beyond the quorum is not its concern (the trustees verify every
// signature of a certificate when it comes back as the next block's LastCert).
func TestFollowerChecksAQuorum(t *testing.T) {
	net, ls := testChain(t, chaintest.Config{Trustees: 4}, 3)
	beyond := append([]Link(nil), ls...)
	beyond[1].Cert = cloneCert(t, ls[1].Cert)
	beyond[1].Cert.Sigs[3].Sig[0] ^= 1
	if n, err := newFollower(t, net).Verify(beyond); err != nil || n != 3 {
		t.Fatalf("a bad fourth signature of four: %d, %v", n, err)
	}
	within := append([]Link(nil), ls...)
	within[1].Cert = cloneCert(t, ls[1].Cert)
	within[1].Cert.Sigs[2].Sig[0] ^= 1
	if n, err := newFollower(t, net).Verify(within); !errors.Is(err, chain.ErrBadSignature) || n != 1 {
		t.Fatalf("a bad third signature of four: %d, %v", n, err)
	}
}

// TestFollowerCountsSigners: the follower tallies whose signatures it verified in the
// certificates of the last recentCerts blocks it accepted — a quorum of each, not the
// signatures beyond it, which it never checked — and a copy verifying ahead leaves
// the original's tally alone.
func TestFollowerCountsSigners(t *testing.T) {
	net, ls := testChain(t, chaintest.Config{Trustees: 4}, recentCerts+5)
	f := newFollower(t, net)
	set := f.Set()
	if _, err := f.Verify(ls[:10]); err != nil {
		t.Fatal(err)
	}
	want := map[keys.PublicKey]int{}
	q := chain.Quorum(len(set))
	for _, l := range ls[:10] {
		if len(l.Cert.Sigs) <= q {
			t.Fatalf("block %d: a certificate of %d signatures has none beyond the quorum", l.Block.Header.Epoch, len(l.Cert.Sigs))
		}
		for _, s := range l.Cert.Sigs[:q] {
			want[s.Trustee]++
		}
	}
	if f.TipSigners() != q {
		t.Fatalf("the tip's certificate: %d signatures verified, want %d", f.TipSigners(), q)
	}
	for _, tr := range set {
		if signed, of := f.Signed(tr.Key); signed != want[tr.Key] || of != 10 {
			t.Fatalf("trustee %s: signed %d of %d, want %d of 10", tr.Key.String()[:8], signed, of, want[tr.Key])
		}
	}
	ahead := *f
	if _, err := ahead.Verify(ls[10:]); err != nil {
		t.Fatal(err)
	}
	if _, of := f.Signed(set[0].Key); of != 10 {
		t.Fatalf("the original's tally changed to %d certificates", of)
	}
	if _, of := ahead.Signed(set[0].Key); of != recentCerts {
		t.Fatalf("%d certificates remembered, want the last %d", of, recentCerts)
	}
	var outsider keys.PublicKey
	if signed, _ := ahead.Signed(outsider); signed != 0 {
		t.Fatalf("a key outside the set signed %d", signed)
	}
}

// TestFollowerVerifyCert: what the gossip validator asks of a block. The block after
// the tip passes every rule; one further ahead passes when a quorum of the trusted
// set certified it and no membership boundary lies between; one past the boundary,
// whatever height it claims, cannot be checked yet; a forged one is refused.
func TestFollowerVerifyCert(t *testing.T) {
	net, ls := testChain(t, chaintest.Config{Trustees: 4, Interval: 5}, 6)
	f := newFollower(t, net)
	f.UseCache(keys.NewSigCache(64))
	if _, err := f.Verify(ls[:1]); err != nil {
		t.Fatal(err)
	}
	outsiders := []*keys.Key{chaintest.Key("outsider", 0), chaintest.Key("outsider", 1), chaintest.Key("outsider", 2)}
	certify := func(b *chain.Block, by []*keys.Key) *chain.Cert {
		c, err := chaintest.Certify(net.Config.ChainID, b, by)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	far := clone(t, ls[3].Block)
	far.Header.Epoch = 1 << 40
	farForged := clone(t, ls[3].Block)
	farForged.Header.Epoch = 1 << 40
	farForged.Header.TrusteeSetHash = chain.Hash{7}
	wrongParent := clone(t, ls[1].Block)
	wrongParent.Header.Parent = chain.Hash{9}
	otherSet := clone(t, ls[3].Block)
	otherSet.Header.TrusteeSetHash = chain.Hash{7}
	cases := []struct {
		name string
		l    Link
		want []error // nil: verified
	}{
		{"the tip", ls[0], []error{ErrStale}},
		{"the next block", ls[1], nil},
		{"a block ahead", ls[3], nil},
		{"the boundary block", ls[4], nil},
		{"past the boundary", ls[5], []error{ErrUnverifiable}},
		{"flipped signature ahead", Link{Block: ls[3].Block, Cert: func() *chain.Cert {
			c := cloneCert(t, ls[3].Cert)
			c.Sigs[0].Sig[3] ^= 1
			return c
		}()}, []error{ErrBadBlock, chain.ErrBadSignature}},
		{"non-trustees ahead", Link{Block: ls[3].Block, Cert: certify(ls[3].Block, outsiders)}, []error{ErrBadBlock, chain.ErrBadCert}},
		{"another set before the boundary", Link{Block: otherSet, Cert: certify(otherSet, net.Trustees)}, []error{ErrTrusteeSet}},
		{"height 2⁴⁰ signed by the trustees", Link{Block: far, Cert: certify(far, net.Trustees)}, []error{ErrUnverifiable}},
		{"height 2⁴⁰ of an unknown set", Link{Block: farForged, Cert: certify(farForged, outsiders)}, []error{ErrUnverifiable}},
		{"the next block without a certificate", Link{Block: ls[1].Block}, []error{ErrBadBlock}},
		{"the next height on another parent, signed by the trustees", Link{Block: wrongParent, Cert: certify(wrongParent, net.Trustees)}, []error{ErrNotNext}},
		{"the next height on another parent, signed by others", Link{Block: wrongParent, Cert: certify(wrongParent, outsiders)}, []error{ErrBadBlock, chain.ErrBadCert}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := f.VerifyCert(&c.l)
			if c.want == nil && err != nil {
				t.Fatalf("refused: %v", err)
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Fatalf("got %v, want %v", err, w)
				}
			}
		})
	}
	if f.Height() != 1 {
		t.Fatalf("VerifyCert moved the tip to %d", f.Height())
	}
}

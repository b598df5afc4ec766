package keys

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func TestSigCacheVerify(t *testing.T) {
	k := testKey(t, 1)
	msg := []byte("vote")
	sig := k.Sign(msg)
	for _, c := range []*SigCache{nil, NewSigCache(16)} {
		for range 2 { // the second time from the cache
			if !c.Verify(k.Public(), msg, sig) {
				t.Fatal("valid signature refused")
			}
		}
		bad := slices.Clone(sig)
		bad[5] ^= 1
		for range 2 { // failures are never remembered
			if c.Verify(k.Public(), msg, bad) {
				t.Fatal("altered signature accepted")
			}
			if c.Verify(k.Public(), []byte("other"), sig) {
				t.Fatal("signature of another message accepted")
			}
			if c.Verify(testKey(t, 2).Public(), msg, sig) {
				t.Fatal("signature accepted for another key")
			}
			if c.Verify(k.Public(), msg, sig[:63]) {
				t.Fatal("short signature accepted")
			}
		}
	}
	var notAKey PublicKey
	for i := range notAKey {
		notAKey[i] = 0xff
	}
	if NewSigCache(16).Verify(notAKey, msg, sig) {
		t.Fatal("signature accepted for bytes that are no key")
	}
}

func TestSigCacheRemembersOnlySuccesses(t *testing.T) {
	c := NewSigCache(16)
	k := testKey(t, 1)
	sig := k.Sign([]byte("a"))
	bad := slices.Clone(sig)
	bad[0] ^= 1
	c.Verify(k.Public(), []byte("a"), bad)
	if c.sigLen() != 0 {
		t.Fatalf("a failure was remembered: %d entries", c.sigLen())
	}
	c.Verify(k.Public(), []byte("a"), sig)
	if c.sigLen() != 1 {
		t.Fatalf("%d entries after one success", c.sigLen())
	}
}

func TestSigCacheBounded(t *testing.T) {
	const size = 8
	c := NewSigCache(size)
	k := testKey(t, 1)
	for i := range 5 * size {
		msg := fmt.Appendf(nil, "msg %d", i)
		if !c.Verify(k.Public(), msg, k.Sign(msg)) {
			t.Fatal("valid signature refused")
		}
		if n := c.sigLen(); n > size {
			t.Fatalf("%d entries in a cache of %d", n, size)
		}
	}
}

func TestSigCacheVRF(t *testing.T) {
	k := testKey(t, 1)
	alpha := []byte("epoch 7")
	proof, beta := k.VRFProve(alpha)
	c := NewSigCache(16)
	for range 2 {
		got, err := c.VRFVerify(k.Public(), alpha, proof)
		if err != nil || !bytes.Equal(got, beta) {
			t.Fatalf("VRFVerify = %x, %v; want %x", got, err, beta)
		}
	}
	if _, err := c.VRFVerify(k.Public(), []byte("epoch 8"), proof); !errors.Is(err, ErrBadProof) {
		t.Fatalf("proof for another input: %v", err)
	}
	if _, err := c.VRFVerify(testKey(t, 2).Public(), alpha, proof); !errors.Is(err, ErrBadProof) {
		t.Fatalf("proof for another key: %v", err)
	}
	if _, err := c.VRFVerify(k.Public(), alpha, proof[1:]); !errors.Is(err, ErrBadProof) {
		t.Fatalf("short proof: %v", err)
	}
}

func TestCachedBatchVerifier(t *testing.T) {
	const n = 6
	keys := make([]*Key, n)
	msgs := make([][]byte, n)
	sigs := make([][]byte, n)
	for i := range n {
		keys[i] = testKey(t, byte(i+1))
		msgs[i] = fmt.Appendf(nil, "vote %d", i)
		sigs[i] = keys[i].Sign(msgs[i])
	}
	c := NewSigCache(64)
	// Two are known already.
	c.Verify(keys[0].Public(), msgs[0], sigs[0])
	c.Verify(keys[3].Public(), msgs[3], sigs[3])

	bad := slices.Clone(sigs[4])
	bad[1] ^= 1
	bv := NewCachedBatchVerifier(n+1, c)
	for i := range n {
		s := sigs[i]
		if i == 4 {
			s = bad
		}
		bv.Add(keys[i].Public(), msgs[i], s)
	}
	bv.Add(keys[5].Public(), msgs[5], sigs[5][:10])
	ok, valid := bv.Verify()
	if ok || !slices.Equal(valid, []bool{true, true, true, true, false, true, false}) {
		t.Fatalf("Verify = %v %v", ok, valid)
	}
	if got := c.sigLen(); got != n-1 {
		t.Fatalf("%d signatures remembered, want %d", got, n-1)
	}
	// Every good one is known now, so a batch of them checks nothing and passes.
	bv = NewCachedBatchVerifier(n, c)
	for i := range n {
		if i != 4 {
			bv.Add(keys[i].Public(), msgs[i], sigs[i])
		}
	}
	if ok, valid := bv.Verify(); !ok || len(valid) != n-1 || len(bv.queued) != 0 {
		t.Fatalf("known batch: %v %v, %d queued", ok, valid, len(bv.queued))
	}
	if ok, _ := NewCachedBatchVerifier(0, c).Verify(); !ok {
		t.Fatal("empty batch refused")
	}
}

func (c *SigCache) sigLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sigs[0]) + len(c.sigs[1])
}

// TestSigCacheExpandsKeysMetTwice keeps a key in expanded form from its second
// signature on.
func TestSigCacheExpandsKeysMetTwice(t *testing.T) {
	c := NewSigCache(16)
	k := testKey(t, 1)
	for i, want := range []bool{false, true} {
		msg := fmt.Appendf(nil, "msg %d", i)
		if !c.Verify(k.Public(), msg, k.Sign(msg)) {
			t.Fatal("valid signature refused")
		}
		c.mu.Lock()
		x := c.pubs[0][k.Public()]
		c.mu.Unlock()
		if (x != nil) != want {
			t.Fatalf("after signature %d: expanded %v, want %v", i+1, x != nil, want)
		}
	}
}

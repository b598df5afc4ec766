package keys

import (
	"fmt"
	"testing"
)

func TestBatchVerifier(t *testing.T) {
	const n = 16
	signers := make([]*Key, n)
	msgs := make([][]byte, n)
	sigs := make([][]byte, n)
	for i := range signers {
		signers[i] = testKey(t, byte(i+1))
		msgs[i] = fmt.Appendf(nil, "vote %d", i)
		sigs[i] = signers[i].Sign(msgs[i])
	}

	bv := NewBatchVerifier(n)
	if ok, valid := bv.Verify(); !ok || valid != nil {
		t.Fatalf("empty batch: %v %v", ok, valid)
	}
	for i := range signers {
		bv.Add(signers[i].Public(), msgs[i], sigs[i])
	}
	if bv.Len() != n {
		t.Fatalf("Len = %d, want %d", bv.Len(), n)
	}
	ok, valid := bv.Verify()
	if !ok || len(valid) != n {
		t.Fatalf("all good: ok=%v valid=%v", ok, valid)
	}

	for bad := range n {
		t.Run(fmt.Sprintf("bad signature %d", bad), func(t *testing.T) {
			bv := NewBatchVerifier(n)
			for i := range signers {
				sig := sigs[i]
				if i == bad {
					// Signed by the right key, but over another message.
					sig = signers[i].Sign([]byte("something else"))
				}
				bv.Add(signers[i].Public(), msgs[i], sig)
			}
			ok, valid := bv.Verify()
			if ok {
				t.Fatal("batch with a bad signature verified")
			}
			for i, v := range valid {
				if v != (i != bad) {
					t.Fatalf("signature %d reported valid=%v", i, v)
				}
			}
		})
	}

	// A malformed signature fails the batch rather than panicking.
	bv = NewBatchVerifier(2)
	bv.Add(signers[0].Public(), msgs[0], sigs[0])
	bv.Add(signers[1].Public(), msgs[1], sigs[1][:10])
	if ok, valid := bv.Verify(); ok || !valid[0] || valid[1] {
		t.Fatalf("short signature: ok=%v valid=%v", ok, valid)
	}
}

func TestSignVerify(t *testing.T) {
	k, other := testKey(t, 1), testKey(t, 2)
	msg := []byte("pay 5 to dao1...")
	sig := k.Sign(msg)
	if !k.Public().Verify(msg, sig) {
		t.Fatal("own signature rejected")
	}
	if other.Public().Verify(msg, sig) {
		t.Fatal("signature accepted for another key")
	}
	if k.Public().Verify([]byte("pay 6 to dao1..."), sig) {
		t.Fatal("signature accepted for another message")
	}
	if k.Public().Verify(msg, sig[:SignatureSize-1]) {
		t.Fatal("short signature accepted")
	}
}

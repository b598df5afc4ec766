package keys

import (
	"fmt"
	"testing"
)

func BenchmarkSign(b *testing.B) {
	k := testKey(b, 1)
	msg := make([]byte, 256)
	for b.Loop() {
		k.Sign(msg)
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKey(b, 1)
	msg := make([]byte, 256)
	sig := k.Sign(msg)
	pub := k.Public()
	for b.Loop() {
		if !pub.Verify(msg, sig) {
			b.Fatal("signature rejected")
		}
	}
}

// BenchmarkBatchVerify64 checks a certificate-sized batch; ns/sig is the figure to
// compare with BenchmarkVerify.
func BenchmarkBatchVerify64(b *testing.B) {
	const n = 64
	pubs := make([]PublicKey, n)
	msgs := make([][]byte, n)
	sigs := make([][]byte, n)
	for i := range n {
		k := testKey(b, byte(i+1))
		pubs[i] = k.Public()
		msgs[i] = fmt.Appendf(nil, "vote %d", i)
		sigs[i] = k.Sign(msgs[i])
	}
	for b.Loop() {
		bv := NewBatchVerifier(n)
		for i := range n {
			bv.Add(pubs[i], msgs[i], sigs[i])
		}
		if ok, _ := bv.Verify(); !ok {
			b.Fatal("batch rejected")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/sig")
}

func BenchmarkVRFProve(b *testing.B) {
	k := testKey(b, 1)
	alpha := []byte("epoch 42 seed")
	for b.Loop() {
		k.VRFProve(alpha)
	}
}

func BenchmarkVRFVerify(b *testing.B) {
	k := testKey(b, 1)
	alpha := []byte("epoch 42 seed")
	proof, _ := k.VRFProve(alpha)
	pub := k.Public()
	for b.Loop() {
		if _, err := VRFVerify(pub, alpha, proof); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptKeyDefault measures what unlocking a wallet costs with the default
// Argon2id parameters.
func BenchmarkDecryptKeyDefault(b *testing.B) {
	data, err := EncryptKey(testKey(b, 1), testPassphrase)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := DecryptKey(data, testPassphrase); err != nil {
			b.Fatal(err)
		}
	}
}

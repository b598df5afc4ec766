package luck

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// unreachable admits only an all-zero work: a benchmark never stops early.
var unreachable chain.Hash

func benchPrefix() []byte {
	l := testLottery()
	d := NewDraft(testKey("bench", 0), l, keys.Address{})
	return d.Prefix
}

// BenchmarkMinerAttempt is one attempt of the miner's loop on one core: restore the
// midstate, append the nonce, finish the hash, compare with the target.
func BenchmarkMinerAttempt(b *testing.B) {
	s := newMidstate(benchPrefix())
	b.ReportAllocs()
	b.ResetTimer()
	if _, ok := s.scan(0, uint64(b.N)-1, unreachable); ok {
		b.Fatal("admitted under an unreachable target")
	}
}

// BenchmarkSum256Attempt is the same attempt hashing the whole input again.
func BenchmarkSum256Attempt(b *testing.B) {
	buf := append(benchPrefix(), make([]byte, 8)...)
	b.ReportAllocs()
	b.ResetTimer()
	for n := range uint64(b.N) {
		binary.BigEndian.PutUint64(buf[len(buf)-8:], n)
		if chain.Admitted(sha256.Sum256(buf), unreachable) {
			b.Fatal("admitted under an unreachable target")
		}
	}
}

// BenchmarkMidstateRatio runs both loops in turns over the same bytes in one run and
// reports their rates and the ratio the midstate buys.
func BenchmarkMidstateRatio(b *testing.B) {
	prefix := benchPrefix()
	s := newMidstate(prefix)
	buf := append(prefix, make([]byte, 8)...)
	// Small turns, so both loops see the same load from whatever else runs.
	const chunk = 1 << 11
	var mid, plain time.Duration
	var nonce uint64
	rounds := 0
	for b.Loop() {
		t0 := time.Now()
		if _, ok := s.scan(nonce, nonce+chunk-1, unreachable); ok {
			b.Fatal("admitted")
		}
		t1 := time.Now()
		for n := nonce; n < nonce+chunk; n++ {
			binary.BigEndian.PutUint64(buf[len(buf)-8:], n)
			if chain.Admitted(sha256.Sum256(buf), unreachable) {
				b.Fatal("admitted")
			}
		}
		t2 := time.Now()
		mid += t1.Sub(t0)
		plain += t2.Sub(t1)
		nonce += chunk
		rounds++
	}
	attempts := float64(rounds * chunk)
	b.ReportMetric(attempts/mid.Seconds(), "miner-attempts/s")
	b.ReportMetric(attempts/plain.Seconds(), "sum256-attempts/s")
	b.ReportMetric(plain.Seconds()/mid.Seconds(), "ratio")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkMinerRate runs the whole miner, gate checks and all, for 100 ms per
// operation under a target it never meets, and reports the hash rate it measures.
func BenchmarkMinerRate(b *testing.B) {
	prefix := benchPrefix()
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			m := NewMiner(MinerConfig{Workers: workers})
			for b.Loop() {
				ctx, cancel := context.WithTimeout(b.Context(), 100*time.Millisecond)
				if _, err := m.Mine(ctx, prefix, unreachable); !errors.Is(err, context.DeadlineExceeded) {
					b.Fatal(err)
				}
				cancel()
			}
			rate := m.Stats().Rate
			b.ReportMetric(rate, "attempts/s")
			b.ReportMetric(rate/float64(workers), "attempts/s/worker")
		})
	}
}

func BenchmarkVRFProve(b *testing.B) {
	k := testKey("bench", 0)
	alpha := chain.LuckSeed(testChain, 7, chain.Hash{})
	for b.Loop() {
		k.VRFProve(alpha)
	}
}

func BenchmarkVRFVerify(b *testing.B) {
	k := testKey("bench", 0)
	alpha := chain.LuckSeed(testChain, 7, chain.Hash{})
	proof, _ := k.VRFProve(alpha)
	for b.Loop() {
		if _, err := keys.VRFVerify(k.Public(), alpha, proof); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeyBlockVerify is a trustee's full check of one ticket: fields, signature,
// VRF proof, work.
func BenchmarkKeyBlockVerify(b *testing.B) {
	l := testLottery()
	t := mine(testKey("bench", 0), l)
	for b.Loop() {
		if _, err := l.Verify(t.KeyBlock); err != nil {
			b.Fatal(err)
		}
	}
}

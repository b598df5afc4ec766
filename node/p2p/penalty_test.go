package p2p

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
)

func fakePeer(i int) peer.ID { return peer.ID(fmt.Sprintf("peer-%d", i)) }

func TestPenaltyBoxBansAtThreshold(t *testing.T) {
	clock := newFixedClock()
	b := NewPenaltyBox(PenaltyConfig{Threshold: 100, BanDuration: time.Hour, Now: clock.Now})
	p := fakePeer(1)
	for i := 0; i < 3; i++ {
		if b.Add(p, PenaltyBadInput) {
			t.Fatalf("banned after %d bad inputs", i+1)
		}
	}
	if got := b.Score(p); got != 75 {
		t.Fatalf("score %v, want 75", got)
	}
	if !b.Add(p, PenaltyBadInput) || !b.Banned(p) {
		t.Fatal("not banned at the threshold")
	}
	if b.Score(p) != 0 {
		t.Fatal("score kept after the ban")
	}
	if got := b.BannedUntil(p); !got.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("banned until %v", got)
	}
	if b.InterceptPeerDial(p) || b.InterceptAddrDial(p, nil) || b.InterceptSecured(network.DirInbound, p, nil) {
		t.Fatal("gater lets a banned peer through")
	}
	if other := fakePeer(2); !b.InterceptPeerDial(other) || !b.InterceptSecured(network.DirOutbound, other, nil) {
		t.Fatal("gater refuses an innocent peer")
	}
	clock.Advance(time.Hour - time.Nanosecond)
	if !b.Banned(p) {
		t.Fatal("ban ended early")
	}
	clock.Advance(time.Nanosecond)
	if b.Banned(p) || !b.InterceptPeerDial(p) {
		t.Fatal("ban did not end")
	}
}

func TestPenaltyBoxScoresFade(t *testing.T) {
	clock := newFixedClock()
	b := NewPenaltyBox(PenaltyConfig{HalfLife: time.Minute, Now: clock.Now})
	p := fakePeer(1)
	b.Add(p, 80)
	clock.Advance(time.Minute)
	if got := b.Score(p); math.Abs(got-40) > 1e-9 {
		t.Fatalf("score after one half-life %v, want 40", got)
	}
	// 40 + 50 stays under 100: an honest peer's rare faults never add up.
	if b.Add(p, PenaltyMalformed) {
		t.Fatal("banned on a faded score")
	}
}

func TestPenaltyBoxMemoryIsBounded(t *testing.T) {
	clock := newFixedClock()
	b := NewPenaltyBox(PenaltyConfig{MaxTracked: 8, MaxBanned: 4, Now: clock.Now})
	for i := 0; i < 1000; i++ {
		b.Add(fakePeer(i), float64(1+i%50))
	}
	if scores, _ := b.Len(); scores > 8 {
		t.Fatalf("%d scores kept, bound 8", scores)
	}
	// The highest scores survive eviction.
	if b.Score(fakePeer(999)) == 0 && b.Score(fakePeer(949)) == 0 {
		t.Fatal("eviction dropped the worst offenders")
	}
	for i := 0; i < 100; i++ {
		b.Ban(fakePeer(i), time.Duration(i+1)*time.Minute)
	}
	if _, bans := b.Len(); bans > 4 {
		t.Fatalf("%d bans kept, bound 4", bans)
	}
	// The longest bans survive.
	if !b.Banned(fakePeer(99)) {
		t.Fatal("the longest ban was lifted")
	}
	b.Unban(fakePeer(99))
	if b.Banned(fakePeer(99)) {
		t.Fatal("Unban did not lift the ban")
	}
}

package p2p

import (
	"math"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// Penalty points for each kind of invalid data. With the default threshold of 100, two
// oversized or malformed frames, or four rejected messages, get a peer banned.
const (
	PenaltyOversized = 50
	PenaltyMalformed = 50
	PenaltyBadInput  = 25
	PenaltyRejected  = 25
)

// PenaltyConfig tunes a PenaltyBox. Zero fields take the defaults.
type PenaltyConfig struct {
	// Threshold is the score at which a peer is banned (default 100).
	Threshold float64
	// BanDuration is how long a ban lasts (default 30 minutes).
	BanDuration time.Duration
	// HalfLife is how fast a score fades (default 10 minutes), so an honest peer's rare
	// mistakes never add up to a ban.
	HalfLife time.Duration
	// MaxTracked bounds how many scores are kept (default 4096); when full, the lowest
	// score is forgotten.
	MaxTracked int
	// MaxBanned bounds how many bans are kept (default 65536); when full, the ban that
	// ends soonest is lifted.
	MaxBanned int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c *PenaltyConfig) setDefaults() {
	if c.Threshold <= 0 {
		c.Threshold = 100
	}
	if c.BanDuration <= 0 {
		c.BanDuration = 30 * time.Minute
	}
	if c.HalfLife <= 0 {
		c.HalfLife = 10 * time.Minute
	}
	if c.MaxTracked <= 0 {
		c.MaxTracked = 4096
	}
	if c.MaxBanned <= 0 {
		c.MaxBanned = 1 << 16
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// PenaltyBox keeps a fading penalty score per peer and bans a peer whose score reaches
// the threshold. It is the host's ConnectionGater, so a banned peer can neither dial us
// nor be dialed, and the Network consults it on every stream and gossip message.
// Memory is bounded by MaxTracked and MaxBanned whatever the number of peer IDs an
// attacker makes up. It is safe for concurrent use.
type PenaltyBox struct {
	cfg    PenaltyConfig
	mu     sync.Mutex
	scores map[peer.ID]score
	bans   map[peer.ID]time.Time // peer → end of ban
}

type score struct {
	value float64
	at    time.Time
}

// NewPenaltyBox returns an empty penalty box.
func NewPenaltyBox(cfg PenaltyConfig) *PenaltyBox {
	cfg.setDefaults()
	return &PenaltyBox{cfg: cfg, scores: map[peer.ID]score{}, bans: map[peer.ID]time.Time{}}
}

var _ connmgr.ConnectionGater = (*PenaltyBox)(nil)

// Add adds points to p's score and reports whether p is now banned (it may have been
// already). Reaching the threshold bans p for BanDuration and clears its score.
func (b *PenaltyBox) Add(p peer.ID, points float64) (banned bool) {
	if points <= 0 {
		return b.Banned(p)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.Now()
	if b.bannedLocked(p, now) {
		return true
	}
	v := b.decayed(b.scores[p], now) + points
	if v >= b.cfg.Threshold {
		delete(b.scores, p)
		b.banLocked(p, now.Add(b.cfg.BanDuration), now)
		return true
	}
	if _, ok := b.scores[p]; !ok && len(b.scores) >= b.cfg.MaxTracked {
		b.evictScoreLocked(now)
	}
	b.scores[p] = score{value: v, at: now}
	return false
}

// Score returns p's current score.
func (b *PenaltyBox) Score(p peer.ID) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.decayed(b.scores[p], b.cfg.Now())
}

// Ban bans p for d (BanDuration when d <= 0), whatever its score.
func (b *PenaltyBox) Ban(p peer.ID, d time.Duration) {
	if d <= 0 {
		d = b.cfg.BanDuration
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.Now()
	delete(b.scores, p)
	b.banLocked(p, now.Add(d), now)
}

// Unban lifts p's ban and clears its score.
func (b *PenaltyBox) Unban(p peer.ID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.bans, p)
	delete(b.scores, p)
}

// Banned reports whether p is banned now.
func (b *PenaltyBox) Banned(p peer.ID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bannedLocked(p, b.cfg.Now())
}

// BannedUntil returns the end of p's ban, or the zero time.
func (b *PenaltyBox) BannedUntil(p peer.ID) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.bannedLocked(p, b.cfg.Now()) {
		return time.Time{}
	}
	return b.bans[p]
}

// Len returns how many scores and bans are held, for tests and the Network screen.
func (b *PenaltyBox) Len() (scores, bans int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.scores), len(b.bans)
}

func (b *PenaltyBox) bannedLocked(p peer.ID, now time.Time) bool {
	until, ok := b.bans[p]
	if !ok {
		return false
	}
	if !now.Before(until) {
		delete(b.bans, p)
		return false
	}
	return true
}

func (b *PenaltyBox) banLocked(p peer.ID, until, now time.Time) {
	if _, ok := b.bans[p]; !ok && len(b.bans) >= b.cfg.MaxBanned {
		var (
			soonest peer.ID
			end     time.Time
		)
		for q, t := range b.bans {
			if !now.Before(t) {
				delete(b.bans, q)
				continue
			}
			if soonest == "" || t.Before(end) {
				soonest, end = q, t
			}
		}
		if len(b.bans) >= b.cfg.MaxBanned {
			delete(b.bans, soonest)
		}
	}
	b.bans[p] = until
}

func (b *PenaltyBox) evictScoreLocked(now time.Time) {
	var (
		lowest peer.ID
		least  = math.Inf(1)
	)
	for q, s := range b.scores {
		if v := b.decayed(s, now); v < least {
			lowest, least = q, v
		}
	}
	delete(b.scores, lowest)
}

func (b *PenaltyBox) decayed(s score, now time.Time) float64 {
	if s.value == 0 {
		return 0
	}
	elapsed := now.Sub(s.at)
	if elapsed <= 0 {
		return s.value
	}
	return s.value * math.Exp2(-float64(elapsed)/float64(b.cfg.HalfLife))
}

// InterceptPeerDial refuses to dial a banned peer.
func (b *PenaltyBox) InterceptPeerDial(p peer.ID) bool { return !b.Banned(p) }

// InterceptAddrDial refuses to dial a banned peer on any address.
func (b *PenaltyBox) InterceptAddrDial(p peer.ID, _ ma.Multiaddr) bool { return !b.Banned(p) }

// InterceptAccept lets every inbound connection reach the handshake: the peer is not
// known before it.
func (b *PenaltyBox) InterceptAccept(network.ConnMultiaddrs) bool { return true }

// InterceptSecured refuses a connection with a banned peer once its identity is proven.
func (b *PenaltyBox) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !b.Banned(p)
}

// InterceptUpgraded accepts: the identity check was done in InterceptSecured.
func (b *PenaltyBox) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}

package p2p

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/daolicloud/daoli/internal/nodetest"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
)

const testChain = "daoli-test"

// waitFor bounds every wait in these tests; conditions are polled, never slept on.
const waitFor = 20 * time.Second

var testProtos = mustProtocols(testChain)

func mustProtocols(chainID string) Protocols {
	p, err := NewProtocols(chainID)
	if err != nil {
		panic(err)
	}
	return p
}

// fastGossip shortens gossipsub's heartbeat so meshes form quickly in tests.
func fastGossip() *pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.HeartbeatInitialDelay = 10 * time.Millisecond
	p.HeartbeatInterval = 50 * time.Millisecond
	return &p
}

// newFixedClock is a clock tests move by hand, from 2030.
func newFixedClock() *nodetest.Clock {
	return nodetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
}

// testConfig is a Network config for tests: quiet, fast gossip, a penalty box on a
// frozen clock so scores are exact, no pings.
func testConfig() Config {
	return Config{
		ChainID:      testChain,
		Logger:       nodetest.Logger(),
		Penalties:    NewPenaltyBox(PenaltyConfig{Now: newFixedClock().Now}),
		PingInterval: -1,
		GossipParams: fastGossip(),
	}
}

// mockNet is a mocknet with one Network per host.
type mockNet struct {
	mn    mocknet.Mocknet
	hosts []host.Host
	nets  []*Network
}

// newMockNet makes n hosts, all linked; connect says which pairs to connect (nil: all).
// adjust may change each node's config.
func newMockNet(t *testing.T, n int, connect [][2]int, adjust func(i int, cfg *Config)) *mockNet {
	t.Helper()
	mn, err := mocknet.FullMeshLinked(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mn.Close() })
	m := &mockNet{mn: mn, hosts: mn.Hosts()}
	for i, h := range m.hosts {
		cfg := testConfig()
		if adjust != nil {
			adjust(i, &cfg)
		}
		nw, err := New(h, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nw.Close() })
		m.nets = append(m.nets, nw)
	}
	if connect == nil {
		if err := mn.ConnectAllButSelf(); err != nil {
			t.Fatal(err)
		}
	}
	for _, pair := range connect {
		if _, err := mn.ConnectPeers(m.hosts[pair[0]].ID(), m.hosts[pair[1]].ID()); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// bareHost adds a host with no Network to the mocknet, linked and connected to the
// given peers: it plays a peer that does not follow our rules.
func (m *mockNet) bareHost(t *testing.T, connectTo ...int) host.Host {
	t.Helper()
	h, err := m.mn.GenPeer()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.mn.LinkAll(); err != nil {
		t.Fatal(err)
	}
	for _, i := range connectTo {
		if _, err := m.mn.ConnectPeers(h.ID(), m.hosts[i].ID()); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (m *mockNet) id(i int) peer.ID { return m.hosts[i].ID() }

// eventually polls cond until it holds or the wait bound passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	nodetest.Poll(t, time.Now().Add(waitFor), what, cond)
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

// recorder collects what a handler received.
type recorder struct {
	mu   sync.Mutex
	msgs []Message
}

func (r *recorder) handle(_ context.Context, m Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}

func (r *recorder) data() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.msgs))
	for i, m := range r.msgs {
		out[i] = string(m.Data)
	}
	return out
}

func (r *recorder) has(s string) bool {
	for _, d := range r.data() {
		if d == s {
			return true
		}
	}
	return false
}

func acceptAll(_ context.Context, _ peer.ID, data []byte) (any, ValidationResult) {
	return string(data), Accept
}

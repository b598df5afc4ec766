package light

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/gpu"
	"github.com/daolicloud/daoli/node/network"
	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/host"
)

// fakeHost stands for a host given to the node; Validate only looks whether there is one.
type fakeHost struct{ host.Host }

// TestConfigValidate: the defaults are valid, and each bad option is refused with
// its own sentinel, wrapped with ErrConfig.
func TestConfigValidate(t *testing.T) {
	nf := &network.File{Name: "test", Genesis: &chain.Genesis{Params: chain.Params{CycleMs: 2000}}}
	market := func(set func(*MarketConfig)) func(*Config) {
		return func(c *Config) {
			mc := DefaultMarketConfig(c.DataDir, chain.ProviderSpec{CPUModel: "test", Cores: 1, MemoryMiB: 1024})
			set(&mc)
			c.Market = &mc
		}
	}
	for _, tc := range []struct {
		name string
		set  func(*Config)
		want error // nil: valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"default market", market(func(*MarketConfig) {}), nil},
		{"host without listen", func(c *Config) { c.Listen = nil; c.Host = fakeHost{} }, nil},
		{"DHT and ping off", func(c *Config) { c.DHT, c.Ping = false, false }, nil},
		{"never re-check", market(func(mc *MarketConfig) { mc.Recheck = RecheckNever() }), nil},
		{"always re-check", market(func(mc *MarketConfig) { mc.Recheck = RecheckAlways() }), nil},
		{"most slots", market(func(mc *MarketConfig) { mc.Slots = chain.MaxSlots }), nil},
		{"no network", func(c *Config) { c.Network = nil }, ErrNoNetwork},
		{"network without genesis", func(c *Config) { c.Network = &network.File{Name: "x"} }, ErrNoNetwork},
		{"no data dir", func(c *Config) { c.DataDir = "" }, ErrNoDataDir},
		{"no miner worker", func(c *Config) { c.MinerWorkers = 0 }, ErrMinerWorkers},
		{"negative miner workers", func(c *Config) { c.MinerWorkers = -1 }, ErrMinerWorkers},
		{"no listen address", func(c *Config) { c.Listen = nil }, ErrNoListen},
		{"zero poll", func(c *Config) { c.Poll = 0 }, ErrPoll},
		{"negative poll", func(c *Config) { c.Poll = -time.Second }, ErrPoll},
		{"no logger", func(c *Config) { c.Logger = nil }, ErrNoLogger},
		{"no trustee", func(c *Config) { c.Trustees = 0 }, ErrLinks},
		{"negative light peers", func(c *Config) { c.LightPeers = -1 }, ErrLinks},
		{"no light peer", func(c *Config) { c.LightPeers = 0 }, nil},
		{"zero price", market(func(mc *MarketConfig) { mc.Price = 0 }), ErrPrice},
		{"no slot", market(func(mc *MarketConfig) { mc.Slots = 0 }), ErrSlots},
		{"too many slots", market(func(mc *MarketConfig) { mc.Slots = chain.MaxSlots + 1 }), ErrSlots},
		{"no cache dir", market(func(mc *MarketConfig) { mc.CacheDir = "" }), ErrNoCacheDir},
		{"unknown fault", market(func(mc *MarketConfig) { mc.Fault = FaultSilent + 1 }), ErrFault},
		{"WebGPU executor", market(func(mc *MarketConfig) {
			mc.Executors, mc.GPU = []string{chain.ExecutorWebGPU}, &gpu.Runner{Exe: "daoli"}
		}), nil},
		{"WebGPU executor without a runner", market(func(mc *MarketConfig) { mc.Executors = []string{chain.ExecutorWebGPU} }), ErrExecutor},
		{"GPU limits", market(func(mc *MarketConfig) { mc.GPULimits = gpu.Limits{BufferBytes: 1} }), ErrConfig},
		{"WASI executor again", market(func(mc *MarketConfig) { mc.Executors = []string{chain.ExecutorWASI} }), ErrExecutor},
		{"WebGPU executor twice", market(func(mc *MarketConfig) { mc.Executors = []string{chain.ExecutorWebGPU, chain.ExecutorWebGPU} }), ErrExecutor},
		{"unknown executor", market(func(mc *MarketConfig) { mc.Executors = []string{"cuda"} }), ErrExecutor},
		{"no re-check policy", market(func(mc *MarketConfig) { mc.Recheck = Recheck{} }), ErrRecheck},
		{"negative re-check", market(func(mc *MarketConfig) { mc.Recheck = RecheckWith(-0.1) }), ErrRecheck},
		{"re-check above one", market(func(mc *MarketConfig) { mc.Recheck = RecheckWith(1.5) }), ErrRecheck},
		{"re-check NaN", market(func(mc *MarketConfig) { mc.Recheck = RecheckWith(math.NaN()) }), ErrRecheck},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig(nf, t.TempDir())
			tc.set(&c)
			err := c.Validate()
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Validate: %v, want valid", err)
			case tc.want != nil && (!errors.Is(err, tc.want) || !errors.Is(err, ErrConfig)):
				t.Fatalf("Validate: %v, want %v wrapped with %v", err, tc.want, ErrConfig)
			}
		})
	}
}

// TestDefaultConfig: the defaults are the ones the options' documentation states.
func TestDefaultConfig(t *testing.T) {
	nf := &network.File{Name: "test", Genesis: &chain.Genesis{Params: chain.Params{CycleMs: 2000}}}
	c := DefaultConfig(nf, "dir")
	if !c.DHT || !c.Ping || c.MDNS || c.Mine || c.Wallet != nil || c.Market != nil {
		t.Fatalf("defaults: DHT %v, ping %v, MDNS %v, mine %v, wallet %v, market %v", c.DHT, c.Ping, c.MDNS, c.Mine, c.Wallet, c.Market)
	}
	if c.Poll != 2*time.Second {
		t.Fatalf("poll %v, want the genesis cycle, 2s", c.Poll)
	}
	if c.Trustees != p2p.LightTrustees || c.LightPeers != p2p.LightPeers {
		t.Fatalf("trustees %d, light peers %d, want %d and %d", c.Trustees, c.LightPeers, p2p.LightTrustees, p2p.LightPeers)
	}
	if len(c.Listen) != len(p2p.DefaultListenAddrs) {
		t.Fatalf("listen %v, want %v", c.Listen, p2p.DefaultListenAddrs)
	}
	if p := DefaultPoll(chain.Params{CycleMs: 1}); p != minPoll {
		t.Fatalf("poll of a 1 ms cycle %v, want the floor %v", p, minPoll)
	}
	mc := DefaultMarketConfig("dir", chain.ProviderSpec{})
	if mc.Price != 1 || mc.Slots != 1 || mc.Recheck != DefaultRecheck() || mc.CacheDir != DefaultCacheDir("dir") || mc.Worker != nil {
		t.Fatalf("market defaults %+v", mc)
	}
	if p := DefaultRecheck().Probability(); p != 0.1 {
		t.Fatalf("default re-check probability %v, want 0.1", p)
	}
}

// TestStartValidates: Start refuses what Validate refuses, before it touches the data
// directory.
func TestStartValidates(t *testing.T) {
	nf := &network.File{Name: "test", Genesis: &chain.Genesis{Params: chain.Params{CycleMs: 2000}}}
	dir := filepath.Join(t.TempDir(), "node")
	c := DefaultConfig(nf, dir)
	c.Poll = 0
	if _, err := Start(context.Background(), c); !errors.Is(err, ErrPoll) {
		t.Fatalf("Start with a zero poll: %v, want %v", err, ErrPoll)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Start refused the configuration but made its data directory: %v", err)
	}
}

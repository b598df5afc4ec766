package light

import (
	"log/slog"
	"time"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/network"
	"github.com/libp2p/go-libp2p/core/host"
)

// Config sets up a light node.
type Config struct {
	Network *network.File // the chain to follow and the trustees to ask
	DataDir string
	// Wallet is the unlocked key whose balance, earnings and tickets the node keeps;
	// nil follows the chain without a wallet and does not mine.
	Wallet *keys.Key
	// Mine mines a ticket each epoch with Wallet. With a Gate, the miner's workers
	// hold the gate's throttles: they run on the cores and at the duty the governor
	// allows, and not at all while it pauses.
	Mine bool
	Gate *capacity.Gate
	// MinerWorkers is how many goroutines hash; 0 is one per core the Go runtime
	// uses, of which the gate lets work as many as its decision allows.
	MinerWorkers int
	// Listen addresses of the node's libp2p host (default: TCP and QUIC on every
	// interface, ports chosen by the system).
	Listen []string
	// Poll is how often the node asks trustees for their height when gossip is quiet
	// (default one genesis cycle).
	Poll   time.Duration
	Logger *slog.Logger
	// MDNS finds trustees on the LAN; NoDHT keeps the node off the DHT (a local demo
	// network has no use for it).
	MDNS, NoDHT bool
	// NoPing stops measuring the round trip to peers (which the Network screen
	// shows): a demo network's own miners have no screen.
	NoPing bool
	// Market, with a wallet, makes the node a buyer and (while providing) a provider
	// in the compute market.
	Market *MarketConfig
	// Host, when set, is the libp2p host the node runs on instead of one of its own
	// (Listen is then unused; tests pass mocknet hosts). The node closes it on Stop.
	Host host.Host
}

package light

import "errors"

// Errors of the light node. Each wraps the detail of what was refused.
var (
	// ErrNotNext: the block does not extend the trusted tip (wrong height, parent or chain).
	ErrNotNext = errors.New("block does not extend the trusted chain")
	// ErrBadBlock: the block's body or certificate does not check out.
	ErrBadBlock = errors.New("block refused")
	// ErrTrusteeSet: the block names a trustee set the follower cannot verify.
	ErrTrusteeSet = errors.New("trustee set not verifiable")
	// ErrStale: the block is at or below the trusted tip.
	ErrStale = errors.New("block not newer than the trusted tip")
	// ErrUnverifiable: the block is further ahead than the follower can check: the
	// set that certifies it is not known yet.
	ErrUnverifiable = errors.New("block not verifiable yet")
)

// ErrCorrupt: a stored record does not decode; the data directory is damaged.
var ErrCorrupt = errors.New("stored record corrupt")

// Errors of a configuration Validate refuses. Each comes wrapped with ErrConfig.
var (
	// ErrConfig: the node's configuration is incomplete or wrong.
	ErrConfig = errors.New("light node configuration")
	// ErrNoNetwork: no network file, or one without a genesis.
	ErrNoNetwork = errors.New("no network")
	// ErrNoDataDir: no data directory.
	ErrNoDataDir = errors.New("no data directory")
	// ErrMinerWorkers: fewer than one miner worker.
	ErrMinerWorkers = errors.New("miner workers out of range")
	// ErrNoListen: neither a listen address nor a host.
	ErrNoListen = errors.New("nowhere to listen")
	// ErrPoll: a poll interval that is not positive.
	ErrPoll = errors.New("poll interval out of range")
	// ErrNoLogger: no logger.
	ErrNoLogger = errors.New("no logger")
	// ErrLinks: fewer than one trustee to keep, or a negative number of light peers.
	ErrLinks = errors.New("links out of range")
	// ErrPrice: a provider price of zero.
	ErrPrice = errors.New("price out of range")
	// ErrSlots: provider slots outside 1 to chain.MaxSlots.
	ErrSlots = errors.New("slots out of range")
	// ErrRecheck: no re-check policy, or a probability outside [0, 1].
	ErrRecheck = errors.New("re-check policy out of range")
	// ErrNoCacheDir: no directory for compiled modules.
	ErrNoCacheDir = errors.New("no module cache directory")
	// ErrFault: a provider fault that is not one of the Fault constants.
	ErrFault = errors.New("unknown provider fault")
	// ErrNoGPU: a webgpu deal's job, and the node has no GPU runner.
	ErrNoGPU = errors.New("this node runs no GPU jobs")
	// ErrExecutor: an executor a provider cannot register beside chain.ExecutorWASI.
	ErrExecutor = errors.New("unknown executor")
)

var (
	// ErrNoWallet: the node runs without a wallet key.
	ErrNoWallet = errors.New("no wallet")
	// ErrNoTrustees: no trustee is connected to ask.
	ErrNoTrustees = errors.New("no trustee connected")
	// ErrBehind: a trustee answered about a block the node has not verified yet.
	ErrBehind = errors.New("not synced to the block of the answer")
	// ErrBadProof: a trustee's proof does not check against the verified header.
	ErrBadProof = errors.New("proof does not verify")
	// ErrStaleProof: a trustee answered about a block older than the verified tip.
	ErrStaleProof = errors.New("proof older than the verified tip")
	// ErrAhead: a trustee answered about a height the chain is not known to have
	// reached.
	ErrAhead = errors.New("proof at a height the chain is not known to have reached")
	// ErrAmount: an amount that cannot be sent.
	ErrAmount = errors.New("amount not available")
	// ErrNotTaken: no trustee took the transaction.
	ErrNotTaken = errors.New("no trustee took the transaction")
)

// Errors of the compute market.
var (
	// ErrNoMarket: the node was started without a market configuration or a wallet.
	ErrNoMarket = errors.New("the compute market is not enabled on this node")
	// ErrNoDeal: the node follows no deal of that ID.
	ErrNoDeal = errors.New("no such job")
	// ErrDealState: the deal is not in a state that allows what was asked.
	ErrDealState = errors.New("the job cannot do that now")
)

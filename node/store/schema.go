package store

import (
	"encoding/binary"
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
)

// The whole on-disk layout. Every bucket and key the store uses is named here; integer
// keys are big-endian so that bbolt's byte order is numeric order and cursors walk
// heights and sequences in order.
//
//	meta      schema-version → uint64 (schemaVersion)
//	          chain-id       → the chain ID, UTF-8
//	          genesis-hash   → hash of block 0 (32 bytes); present once Init ran
//	          tip-height     → uint64, height of the newest committed block
//	          tip-hash       → hash of that block (32 bytes)
//	blocks    height (uint64)      → chain.EncodeBlock; heights 0 (genesis) … tip
//	heights   block hash (32)      → height (uint64); one entry per stored block
//	certs     height (uint64)      → chain.EncodeCert of the certificate of the block
//	                                 at that height; heights 1 … tip (genesis has none)
//	state     state key (32)       → value, the leaves of the state at the tip, as
//	                                 chain.State.Changes and ForEach list them
//	wal       sequence (uint64)    → an encoded consensus record (I-BFT votes), in the
//	                                 order written, as versions before the WAL's own
//	                                 directory kept them (wal.go moves them out on
//	                                 first use; the bucket stays, empty)
//	earnings  height (uint64) ‖ index (uint32) → an encoded earnings record
//	headers   height (uint64)      → chain.EncodeHeader; a light node's verified
//	                                 headers, 0 (genesis) … tip
//	trustsets height (uint64)      → chain.EncodeTrusteeSet of the set that certified
//	                                 the block or header at that height, written where
//	                                 it changed (and at genesis)
//	deals     deal ID (32)         → a light node's replica of a compute deal, as the
//	                                 light package encodes it: every live deal, and
//	                                 the closed ones this node took part in
//	batches   batch ID (32)        → a buyer's batch of tasks, as node/batch
//	                                 encodes it (its tasks and each task's deals)
//
// A full node (a trustee) fills blocks, heights, certs, state, trustsets and wal; a
// light node fills headers, certs, trustsets, earnings, deals and batches. Both keep the tip in meta.
var (
	bucketMeta      = []byte("meta")
	bucketBlocks    = []byte("blocks")
	bucketHeights   = []byte("heights")
	bucketCerts     = []byte("certs")
	bucketState     = []byte("state")
	bucketWAL       = []byte("wal")
	bucketEarnings  = []byte("earnings")
	bucketHeaders   = []byte("headers")
	bucketTrustSets = []byte("trustsets")
	bucketDeals     = []byte("deals")
	bucketBatches   = []byte("batches")

	allBuckets = [][]byte{bucketMeta, bucketBlocks, bucketHeights, bucketCerts, bucketState, bucketWAL, bucketEarnings, bucketHeaders, bucketTrustSets, bucketDeals, bucketBatches}
)

// Keys of the meta bucket.
var (
	keySchemaVersion = []byte("schema-version")
	keyChainID       = []byte("chain-id")
	keyGenesisHash   = []byte("genesis-hash")
	keyTipHeight     = []byte("tip-height")
	keyTipHash       = []byte("tip-hash")
)

// schemaVersion changes whenever the layout above does; Open refuses any other.
const schemaVersion = 1

func uint64Key(v uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v) }

func decodeUint64(what string, b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("%w: %s is %d bytes, want 8", ErrCorrupt, what, len(b))
	}
	return binary.BigEndian.Uint64(b), nil
}

func decodeHash(what string, b []byte) (chain.Hash, error) {
	var h chain.Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("%w: %s is %d bytes, want %d", ErrCorrupt, what, len(b), len(h))
	}
	copy(h[:], b)
	return h, nil
}

func earningKey(height uint64, index uint32) []byte {
	k := make([]byte, 0, 12)
	k = binary.BigEndian.AppendUint64(k, height)
	return binary.BigEndian.AppendUint32(k, index)
}

func decodeEarningKey(b []byte) (height uint64, index uint32, err error) {
	if len(b) != 12 {
		return 0, 0, fmt.Errorf("%w: earnings key is %d bytes, want 12", ErrCorrupt, len(b))
	}
	return binary.BigEndian.Uint64(b), binary.BigEndian.Uint32(b[8:]), nil
}

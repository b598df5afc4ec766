package trustee

import (
	"fmt"
	"github.com/daolicloud/daoli/node/p2p"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/ibft"
	"github.com/daolicloud/daoli/node/store"
	"github.com/daolicloud/daoli/node/wire"
)

// A trustee's write-ahead log holds two kinds of record. What it signed is an
// ibft.Record, written before the vote leaves. What it committed is a commit record:
// the block with its certificate, written once the certificate is complete and before
// the block goes into the database. The commit record is the durable commit: one
// write and one sync, where the database's transaction writes its pages and syncs
// twice. A trustee that stops between the two finds the record when it starts and
// stores the block then (replayCommits).
//
// An ibft.Record is a CBOR array, whose first byte is never commitRecordTag; a commit
// record is that byte followed by the wire.CertifiedBlock's encoding.
const commitRecordTag = 'C'

// WALRecord is one record of a trustee's write-ahead log: at most one of Signed and
// Commit is set. Neither is for a record of the release before reports stated their
// admitted count that holds nothing to keep (ibft.DecodeLegacyRecord).
type WALRecord struct {
	Signed *ibft.Record
	Commit *wire.CertifiedBlock
	epoch  uint64 // of a legacy record
}

// Epoch is the epoch the record belongs to; a record is dropped once a block of that
// epoch or a later one is in the database.
func (r *WALRecord) Epoch() uint64 {
	switch {
	case r.Commit != nil:
		return r.Commit.Block.Header.Epoch
	case r.Signed != nil:
		return r.Signed.Epoch()
	}
	return r.epoch
}

// encodeCommitRecord returns the commit record of a block and its certificate.
func encodeCommitRecord(b *chain.Block, cert *chain.Cert) []byte {
	enc := wire.Encode(&wire.CertifiedBlock{Block: *b, Cert: *cert})
	rec := make([]byte, 0, 1+len(enc))
	return append(append(rec, commitRecordTag), enc...)
}

// certifiedBlockOf is the wire.CertifiedBlock encoding, without a trustee set, inside a
// commit record: what the blocks topic carries outside membership boundaries, so a
// committed block is encoded once for both.
func certifiedBlockOf(rec []byte) []byte { return rec[1:] }

// DecodeWALRecord parses one record of a trustee's write-ahead log, rejecting
// malformed, oversized and non-canonical input.
func DecodeWALRecord(raw []byte) (*WALRecord, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrBadWALRecord)
	}
	if raw[0] != commitRecordTag {
		rec, err := ibft.DecodeRecord(raw)
		if err == nil {
			return &WALRecord{Signed: rec}, nil
		}
		// The previous release's report and proposal records: the vote they hold is
		// kept, the rest may be signed again (docs/operators.md, Upgrades).
		legacy, epoch, lerr := ibft.DecodeLegacyRecord(raw)
		if lerr != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadWALRecord, err)
		}
		return &WALRecord{Signed: legacy, epoch: epoch}, nil
	}
	cb := new(wire.CertifiedBlock)
	if err := wire.Decode(certifiedBlockOf(raw), cb, p2p.BlockTopicLimit); err != nil {
		return nil, fmt.Errorf("%w: commit: %w", ErrBadWALRecord, err)
	}
	if err := cb.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%w: commit: %w", ErrBadWALRecord, err)
	}
	if cb.Trustees != nil {
		return nil, fmt.Errorf("%w: commit with a trustee set", ErrBadWALRecord)
	}
	return &WALRecord{Commit: cb}, nil
}

// replayCommits stores the blocks of commit records that the database lacks, in
// order, each checked as a synced block is: its certificate against the set of the
// state it extends and its body by applying it. It returns the state after the last.
// Records of blocks the database holds are skipped; a gap is corruption, since a
// commit record is dropped only after its block is stored.
func replayCommits(db *store.Store, st *chain.State, commits []*wire.CertifiedBlock) (*chain.State, error) {
	for _, cb := range commits {
		h := cb.Block.Header.Epoch
		switch {
		case h <= st.Epoch():
			continue
		case h > st.Epoch()+1:
			return nil, fmt.Errorf("%w: commit of block %d on a database at %d", ErrBadWALRecord, h, st.Epoch())
		}
		if err := cb.Cert.VerifyWith(st.Params().ChainID, h, cb.Block.Hash(), st.Active(), nil); err != nil {
			return nil, fmt.Errorf("%w: commit of block %d: %w", ErrBadWALRecord, h, err)
		}
		next, _, err := chain.Apply(st, &cb.Block)
		if err != nil {
			return nil, fmt.Errorf("%w: commit of block %d: %w", ErrBadWALRecord, h, err)
		}
		if err := db.CommitBlock(&cb.Block, &cb.Cert, next); err != nil {
			return nil, fmt.Errorf("store block %d from the WAL: %w", h, err)
		}
		st = next
	}
	return st, nil
}

package ibft

import (
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// Write-ahead log records of the release before reports stated their admitted count
// (docs/ibft.md). A trustee upgraded across that change finds its open epoch's records
// in the old form, which DecodeRecord refuses. DecodeLegacyRecord keeps what binds the
// trustee and drops what it may sign again:
//
//   - its report: a trustee may report again after a restart (the others keep the
//     first they took; none of them can read the old one). The restored epoch stays
//     open to CloseEpoch until the trustee has a report.
//   - its proposal: a leader may propose again after a restart; the others hold up to
//     two proposals of a round and prevote at most one block per round.
//   - the proposal beside a precommit for a block: its reports cannot be checked any
//     more, but the precommit is kept, and with it the lock on the block (restoreEpoch),
//     so the trustee never helps decide another block in a later round without a
//     proof of lock; and the block, which the precommit's signature names, so that the
//     precommits already cast for it still decide it. Without a proposal that
//     justifies it the trustee cannot prevote it or propose it again: if some trustees
//     locked on it and too few precommitted it to decide it, the epoch stalls, as it
//     would if their logs were lost.
//
// Votes never changed form and decode as they are.

// legacyReport is Report without Admitted.
type legacyReport struct {
	_       struct{} `cbor:",toarray"`
	ChainID string
	Epoch   uint64
	Parent  chain.Hash
	Tickets []chain.KeyBlock
	Trustee keys.PublicKey
	Sig     []byte
}

// legacyProposal is Proposal with legacy reports.
type legacyProposal struct {
	_          struct{} `cbor:",toarray"`
	Epoch      uint64
	Round      uint32
	ValidRound int64
	Block      chain.Block
	Reports    []legacyReport
	Proposer   keys.PublicKey
	Sig        []byte
}

type legacyRecord struct {
	_        struct{} `cbor:",toarray"`
	Report   *legacyReport
	Proposal *legacyProposal
	Vote     *chain.Vote
}

// DecodeLegacyRecord parses a write-ahead log record of the release before reports
// stated their admitted count. It returns the part the trustee must keep, or nil when
// nothing is to be kept, and the epoch of the record either way.
func DecodeLegacyRecord(data []byte) (*Record, uint64, error) {
	l := new(legacyRecord)
	if err := decode(data, l, MaxRecordSize); err != nil {
		return nil, 0, err
	}
	switch {
	case l.Report != nil && l.Proposal == nil && l.Vote == nil:
		return nil, l.Report.Epoch, nil
	case l.Report == nil && l.Proposal != nil && l.Vote == nil:
		return nil, l.Proposal.Epoch, nil
	case l.Report == nil && l.Proposal != nil && l.Vote != nil:
		v := l.Vote
		if v.Kind != chain.Precommit || v.Block != l.Proposal.Block.Hash() {
			return nil, 0, fmt.Errorf("decode legacy Record: %w: %w: a proposal beside a vote that is not a precommit for its block", chain.ErrMalformed, ErrBadRecord)
		}
		return &Record{Vote: v, block: &l.Proposal.Block}, v.Epoch, nil
	}
	// A vote alone has the current form; anything else no trustee wrote.
	return nil, 0, fmt.Errorf("decode legacy Record: %w: %w: not a legacy report or proposal", chain.ErrMalformed, ErrBadRecord)
}

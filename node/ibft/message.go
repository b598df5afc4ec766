package ibft

import (
	"bytes"
	"fmt"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
)

// Report is a trustee's candidate set for an epoch: the luckiest valid tickets it
// admitted before its collect window closed (Φ + Δ by its clock), and how many it
// admitted in all. The tickets are at most P+1, so only the count, signed with them,
// tells retargeting how many were admitted (docs/ibft.md).
type Report struct {
	_        struct{} `cbor:",toarray"`
	ChainID  string
	Epoch    uint64
	Parent   chain.Hash       // the block the epoch builds on
	Tickets  []chain.KeyBlock // at most P+1, luckiest first (luck, then ticket hash)
	Admitted uint32           // tickets admitted in the epoch, one per key, equivocators left out; at least len(Tickets)
	Trustee  keys.PublicKey
	Sig      []byte
}

// EncodeReport returns the canonical encoding of r.
func EncodeReport(r *Report) []byte { return encode(r) }

// DecodeReport parses a report, rejecting oversized, malformed and non-canonical input.
// It does not validate; see ValidateBasic.
func DecodeReport(data []byte) (*Report, error) {
	r := new(Report)
	if err := decode(data, r, MaxReportSize); err != nil {
		return nil, err
	}
	return r, nil
}

// Hash identifies the report, signature included.
func (r *Report) Hash() chain.Hash { return hashTagged("daoli/report/v1", EncodeReport(r)) }

// SignBytes are the bytes the trustee signs: every field but Sig.
func (r *Report) SignBytes() []byte {
	c := *r
	c.Sig = nil
	return append([]byte("daoli/report-sig/v1"), encode(&c)...)
}

// Sign fills Trustee and Sig with k.
func (r *Report) Sign(k *keys.Key) {
	r.Trustee = k.Public()
	r.Sig = k.Sign(r.SignBytes())
}

// VerifySig checks the report's signature.
func (r *Report) VerifySig() error { return r.verifySig(nil) }

func (r *Report) verifySig(c *keys.SigCache) error {
	if !c.Verify(r.Trustee, r.SignBytes(), r.Sig) {
		return fmt.Errorf("report of %s: %w", short(r.Trustee), ErrBadSignature)
	}
	return nil
}

// ValidateBasic checks what needs no state: sizes, that every ticket belongs to the
// report's chain, epoch and parent, that no ticket appears twice, that the admitted
// count holds the tickets, and the shape of the signature. Luck order, ticket validity and the signature itself need the epoch.
func (r *Report) ValidateBasic() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: report: %s", ErrBadMessage, fmt.Sprintf(format, a...))
	}
	switch {
	case r.ChainID == "" || len(r.ChainID) > chain.MaxChainID:
		return bad("chain ID of %d bytes", len(r.ChainID))
	case r.Epoch == 0:
		return bad("epoch 0 is genesis")
	case len(r.Tickets) > chain.MaxPayroll+1:
		return bad("%d tickets, at most %d", len(r.Tickets), chain.MaxPayroll+1)
	case uint64(len(r.Tickets)) > uint64(r.Admitted):
		return bad("%d tickets of %d admitted", len(r.Tickets), r.Admitted)
	case len(r.Sig) != keys.SignatureSize:
		return bad("signature of %d bytes", len(r.Sig))
	}
	seen := make(map[chain.Hash]bool, len(r.Tickets))
	for i := range r.Tickets {
		kb := &r.Tickets[i]
		if kb.ChainID != r.ChainID || kb.Epoch != r.Epoch || kb.Parent != r.Parent {
			return bad("ticket %d is for another chain, epoch or parent", i)
		}
		if len(kb.VRFProof) != keys.ProofSize || len(kb.Sig) != keys.SignatureSize {
			return bad("ticket %d has a proof or signature of the wrong size", i)
		}
		h := kb.Hash()
		if seen[h] {
			return bad("ticket %d listed twice", i)
		}
		seen[h] = true
	}
	return nil
}

// Proposal is a leader's block for one round of an epoch, with the reports its winner
// and payroll were drawn from (docs/ibft.md).
type Proposal struct {
	_          struct{} `cbor:",toarray"`
	Epoch      uint64
	Round      uint32
	ValidRound int64 // the round whose quorum of prevotes backs a re-proposed block; −1 if none
	Block      chain.Block
	Reports    []Report // a quorum of reports, sorted by trustee key
	Proposer   keys.PublicKey
	Sig        []byte
}

// NoRound is the ValidRound of a block proposed for the first time.
const NoRound = -1

// EncodeProposal returns the canonical encoding of p.
func EncodeProposal(p *Proposal) []byte { return encode(p) }

// DecodeProposal parses a proposal, rejecting oversized, malformed and non-canonical
// input. It does not validate; see ValidateBasic.
func DecodeProposal(data []byte) (*Proposal, error) {
	p := new(Proposal)
	if err := decode(data, p, MaxProposalSize); err != nil {
		return nil, err
	}
	return p, nil
}

// proposalSigned is what a proposer signs. The block hash commits to the whole block
// (its header commits to the body), so the signature need not cover the body's bytes.
type proposalSigned struct {
	_          struct{} `cbor:",toarray"`
	ChainID    string
	Epoch      uint64
	Round      uint32
	ValidRound int64
	Block      chain.Hash
	Reports    chain.Hash
	Proposer   keys.PublicKey
}

// SignBytes are the bytes the proposer signs.
func (p *Proposal) SignBytes() []byte {
	hs := make([]byte, 0, 32*len(p.Reports))
	for i := range p.Reports {
		h := p.Reports[i].Hash()
		hs = append(hs, h[:]...)
	}
	s := proposalSigned{
		ChainID: p.Block.Header.ChainID, Epoch: p.Epoch, Round: p.Round, ValidRound: p.ValidRound,
		Block: p.Block.Hash(), Reports: hashTagged("daoli/proposal-reports/v1", hs), Proposer: p.Proposer,
	}
	return append([]byte("daoli/proposal-sig/v1"), encode(&s)...)
}

// Sign fills Proposer and Sig with k.
func (p *Proposal) Sign(k *keys.Key) {
	p.Proposer = k.Public()
	p.Sig = k.Sign(p.SignBytes())
}

// VerifySig checks the proposer's signature (not the reports' signatures).
func (p *Proposal) VerifySig() error { return p.verifySig(nil) }

func (p *Proposal) verifySig(c *keys.SigCache) error {
	if !c.Verify(p.Proposer, p.SignBytes(), p.Sig) {
		return fmt.Errorf("proposal of %s: %w", short(p.Proposer), ErrBadSignature)
	}
	return nil
}

// ValidateBasic checks what needs no state: the block is of the proposal's epoch, the
// valid round precedes the round, the reports are of the block's chain, epoch and
// parent, sorted by trustee and each well formed.
func (p *Proposal) ValidateBasic() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: proposal: %s", ErrBadMessage, fmt.Sprintf(format, a...))
	}
	h := &p.Block.Header
	switch {
	case p.Epoch == 0:
		return bad("epoch 0 is genesis")
	case h.Epoch != p.Epoch:
		return bad("block of epoch %d in a proposal for epoch %d", h.Epoch, p.Epoch)
	case h.ChainID == "" || len(h.ChainID) > chain.MaxChainID:
		return bad("chain ID of %d bytes", len(h.ChainID))
	case p.ValidRound < NoRound || p.ValidRound >= int64(p.Round):
		return bad("valid round %d in round %d", p.ValidRound, p.Round)
	case len(p.Reports) == 0 || len(p.Reports) > chain.MaxTrusteesCap:
		return bad("%d reports", len(p.Reports))
	case len(p.Sig) != keys.SignatureSize:
		return bad("signature of %d bytes", len(p.Sig))
	}
	for i := range p.Reports {
		r := &p.Reports[i]
		if i > 0 && bytes.Compare(p.Reports[i-1].Trustee[:], r.Trustee[:]) >= 0 {
			return bad("reports not sorted by trustee and distinct")
		}
		if r.ChainID != h.ChainID || r.Epoch != p.Epoch || r.Parent != h.Parent {
			return bad("report %d is for another chain, epoch or parent", i)
		}
		if err := r.ValidateBasic(); err != nil {
			return fmt.Errorf("report %d: %w", i, err)
		}
	}
	return nil
}

// validateVote is ValidateBasic for a vote: a known kind, a chain, an epoch after
// genesis and a signature of the right size.
func validateVote(v *chain.Vote) error {
	switch {
	case v.Kind != chain.Prevote && v.Kind != chain.Precommit:
		return fmt.Errorf("%w: vote of kind %d", ErrBadMessage, v.Kind)
	case v.ChainID == "" || len(v.ChainID) > chain.MaxChainID:
		return fmt.Errorf("%w: vote: chain ID of %d bytes", ErrBadMessage, len(v.ChainID))
	case v.Epoch == 0:
		return fmt.Errorf("%w: vote for epoch 0", ErrBadMessage)
	case len(v.Sig) != keys.SignatureSize:
		return fmt.Errorf("%w: vote: signature of %d bytes", ErrBadMessage, len(v.Sig))
	}
	return nil
}

// Certified is a decided block with a certificate, sent to a trustee that is still
// deciding the epoch, the way CometBFT sends its last commit to peers at the previous
// height: it catches up at once instead of waiting for a round it cannot win.
type Certified struct {
	_     struct{} `cbor:",toarray"`
	Block chain.Block
	Cert  chain.Cert
}

// ValidateBasic checks that the certificate is for the block and has signatures.
func (c *Certified) ValidateBasic() error {
	h := &c.Block.Header
	switch {
	case h.Epoch == 0:
		return fmt.Errorf("%w: certified block of epoch 0", ErrBadMessage)
	case h.ChainID == "" || len(h.ChainID) > chain.MaxChainID:
		return fmt.Errorf("%w: certified block: chain ID of %d bytes", ErrBadMessage, len(h.ChainID))
	case c.Cert.Epoch != h.Epoch || c.Cert.Block != c.Block.Hash():
		return fmt.Errorf("%w: certificate of another block", ErrBadMessage)
	case len(c.Cert.Sigs) == 0 || len(c.Cert.Sigs) > chain.MaxTrusteesCap:
		return fmt.Errorf("%w: certificate with %d signatures", ErrBadMessage, len(c.Cert.Sigs))
	}
	return nil
}

// Message is what trustees send each other: exactly one of a report, a proposal, a
// vote or a certified block. Every part carries its signers, so the network sender
// does not matter.
type Message struct {
	_         struct{} `cbor:",toarray"`
	Report    *Report
	Proposal  *Proposal
	Vote      *chain.Vote
	Certified *Certified
}

// EncodeMessage returns the canonical encoding of m, for the wire.
func EncodeMessage(m *Message) []byte { return encode(m) }

// DecodeMessage parses a message from the wire, rejecting oversized, malformed and
// non-canonical input and anything but exactly one part.
func DecodeMessage(data []byte) (*Message, error) {
	m := new(Message)
	if err := decode(data, m, MaxMessageSize); err != nil {
		return nil, err
	}
	if m.parts() != 1 {
		return nil, fmt.Errorf("decode Message: %w: %d parts", chain.ErrMalformed, m.parts())
	}
	return m, nil
}

func (m *Message) parts() int {
	n := 0
	for _, set := range []bool{m.Report != nil, m.Proposal != nil, m.Vote != nil, m.Certified != nil} {
		if set {
			n++
		}
	}
	return n
}

// ValidateBasic checks the message's shape; see the parts' ValidateBasic.
func (m *Message) ValidateBasic() error {
	switch {
	case m.parts() != 1:
		return fmt.Errorf("%w: %d parts", ErrBadMessage, m.parts())
	case m.Report != nil:
		return m.Report.ValidateBasic()
	case m.Proposal != nil:
		return m.Proposal.ValidateBasic()
	case m.Certified != nil:
		return m.Certified.ValidateBasic()
	}
	return validateVote(m.Vote)
}

// Epoch is the epoch the message is about.
func (m *Message) Epoch() uint64 {
	switch {
	case m.Report != nil:
		return m.Report.Epoch
	case m.Proposal != nil:
		return m.Proposal.Epoch
	case m.Vote != nil:
		return m.Vote.Epoch
	case m.Certified != nil:
		return m.Certified.Block.Header.Epoch
	}
	return 0
}

// Signer is the trustee who signed the message; a certified block has many signers
// and returns the zero key.
func (m *Message) Signer() keys.PublicKey {
	switch {
	case m.Report != nil:
		return m.Report.Trustee
	case m.Proposal != nil:
		return m.Proposal.Proposer
	case m.Vote != nil:
		return m.Vote.Trustee
	}
	return keys.PublicKey{}
}

func (m *Message) chainID() string {
	switch {
	case m.Report != nil:
		return m.Report.ChainID
	case m.Proposal != nil:
		return m.Proposal.Block.Header.ChainID
	case m.Vote != nil:
		return m.Vote.ChainID
	case m.Certified != nil:
		return m.Certified.Block.Header.ChainID
	}
	return ""
}

// String summarizes the message for logs and test traces.
func (m *Message) String() string {
	switch {
	case m.Report != nil:
		return fmt.Sprintf("Report e%d %d tickets by %s", m.Report.Epoch, len(m.Report.Tickets), short(m.Report.Trustee))
	case m.Proposal != nil:
		p := m.Proposal
		return fmt.Sprintf("Proposal e%d r%d %s vr=%d by %s", p.Epoch, p.Round, p.Block.Hash().Short(), p.ValidRound, short(p.Proposer))
	case m.Vote != nil:
		return voteString(m.Vote)
	case m.Certified != nil:
		return fmt.Sprintf("Certified e%d %s r%d", m.Certified.Block.Header.Epoch, m.Certified.Block.Hash().Short(), m.Certified.Cert.Round)
	}
	return "empty message"
}

func voteString(v *chain.Vote) string {
	kind := "Prevote"
	if v.Kind == chain.Precommit {
		kind = "Precommit"
	}
	block := "nil"
	if !v.Block.IsZero() {
		block = v.Block.Short()
	}
	return fmt.Sprintf("%s e%d r%d %s by %s", kind, v.Epoch, v.Round, block, short(v.Trustee))
}

// Outbound is a message to send.
type Outbound struct {
	To      keys.PublicKey // one trustee; the zero key means every other trustee of the epoch's set
	Message Message
}

// Broadcast reports whether the message goes to every other trustee.
func (o *Outbound) Broadcast() bool { return o.To == keys.PublicKey{} }

// Early reports whether the message may be sent before the records of its Ready are
// durable: a report or a proposal, which bind no one. Only votes decide a block, and
// every vote waits for the log. A trustee that crashes before its report or proposal
// is saved may sign a different one for the same epoch or round after the restart;
// the others keep the first report they took (a second is a conflict, refused and not
// punished), hold up to two proposals of a round, and prevote at most one block per
// round whichever they saw, so safety is as before and at worst the round fails and
// the next leader proposes. Sending these two ahead takes a log write off the path of
// every epoch twice: the close to the leader's proposal, the proposal to the prevotes.
func (o *Outbound) Early() bool {
	return o.Message.Report != nil || o.Message.Proposal != nil
}

// Record is one entry of a trustee's write-ahead log: something it signed. A precommit
// for a block is saved with the proposal of that block, so that after a crash the
// trustee still holds the block it is locked on and can propose it again.
type Record struct {
	_        struct{} `cbor:",toarray"`
	Report   *Report
	Proposal *Proposal // the trustee's own proposal, or beside a precommit the block it locks on
	Vote     *chain.Vote
	// block is the block a precommit of a legacy record locks on, without the proposal
	// that carried it (DecodeLegacyRecord); never encoded.
	block *chain.Block
}

// EncodeRecord returns the canonical encoding of r, for the write-ahead log.
func EncodeRecord(r *Record) []byte { return encode(r) }

// DecodeRecord parses a write-ahead log record, rejecting oversized, malformed and
// non-canonical input and combinations that no trustee writes.
func DecodeRecord(data []byte) (*Record, error) {
	r := new(Record)
	if err := decode(data, r, MaxRecordSize); err != nil {
		return nil, err
	}
	if err := r.checkShape(); err != nil {
		return nil, fmt.Errorf("decode Record: %w: %w", chain.ErrMalformed, err)
	}
	return r, nil
}

// checkShape allows a report alone, a proposal alone, a vote alone, or a precommit for
// a block beside the proposal of that block.
func (r *Record) checkShape() error {
	switch {
	case r.Report != nil && r.Proposal == nil && r.Vote == nil:
	case r.Report == nil && r.Proposal != nil && r.Vote == nil:
	case r.Report == nil && r.Vote != nil && r.Proposal == nil:
	case r.Report == nil && r.Vote != nil && r.Proposal != nil:
		if r.Vote.Kind != chain.Precommit || r.Vote.Block != r.Proposal.Block.Hash() {
			return fmt.Errorf("%w: a proposal beside a vote that is not a precommit for its block", ErrBadRecord)
		}
	default:
		return fmt.Errorf("%w: not one of report, proposal, vote", ErrBadRecord)
	}
	return nil
}

// validateBasic checks each part of the record as Step checks messages.
func (r *Record) validateBasic(chainID string) error {
	parts := []*Message{{Report: r.Report}, {Proposal: r.Proposal}, {Vote: r.Vote}}
	for _, p := range parts {
		if p.parts() == 0 {
			continue
		}
		if err := p.ValidateBasic(); err != nil {
			return err
		}
		if p.chainID() != chainID {
			return fmt.Errorf("%w: %q", ErrWrongChain, p.chainID())
		}
	}
	return nil
}

// signer is the trustee who signed what the record is about.
func (r *Record) signer() keys.PublicKey {
	switch {
	case r.Report != nil:
		return r.Report.Trustee
	case r.Vote != nil:
		return r.Vote.Trustee
	}
	return r.Proposal.Proposer
}

// Epoch is the epoch of what the record holds; a driver prunes records of committed
// epochs by it.
func (r *Record) Epoch() uint64 {
	switch {
	case r.Report != nil:
		return r.Report.Epoch
	case r.Vote != nil:
		return r.Vote.Epoch
	}
	return r.Proposal.Epoch
}

// CommittedBlock is a block this trustee saw certified, with the state after it.
type CommittedBlock struct {
	Block    *chain.Block
	Cert     *chain.Cert // the certificate this trustee assembled, or the one Sync received
	State    *chain.State
	Receipts *chain.Receipts
}

func short(k keys.PublicKey) string { return k.String()[:8] }

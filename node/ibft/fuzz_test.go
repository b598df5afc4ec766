package ibft

import (
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
)

// The fuzz targets feed the decoders arbitrary bytes. Whatever comes in, a decoder
// returns a decoding error or a value that encodes back to exactly the input; a
// decoded message passes through a machine's Step, and a decoded record through New,
// without a panic, and a message Step rejects changes nothing. Seeds are real
// encodings from an epoch and corruptions of them.

func fuzzSeeds(f *testing.F, pick func(*wireSamples) [][]byte) {
	for _, b := range pick(newWireSamples(f)) {
		f.Add(b)
		for _, c := range corruptions(b) {
			f.Add(c)
		}
	}
}

func FuzzDecodeReport(f *testing.F) {
	fuzzSeeds(f, func(w *wireSamples) [][]byte { return w.reports })
	bed := newTestbed(f, 4, 6)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeReport(data)
		if err != nil {
			if !isDecodeError(err) {
				t.Fatalf("not a decoding error: %v", err)
			}
			return
		}
		if string(EncodeReport(r)) != string(data) {
			t.Fatal("decoded report encodes differently")
		}
		stepFuzzed(t, bed, Message{Report: r})
	})
}

func FuzzDecodeProposal(f *testing.F) {
	fuzzSeeds(f, func(w *wireSamples) [][]byte { return w.proposals })
	bed := newTestbed(f, 4, 6)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeProposal(data)
		if err != nil {
			if !isDecodeError(err) {
				t.Fatalf("not a decoding error: %v", err)
			}
			return
		}
		if string(EncodeProposal(p)) != string(data) {
			t.Fatal("decoded proposal encodes differently")
		}
		stepFuzzed(t, bed, Message{Proposal: p})
	})
}

func FuzzDecodeMessage(f *testing.F) {
	fuzzSeeds(f, func(w *wireSamples) [][]byte { return w.messages })
	bed := newTestbed(f, 4, 6)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			if !isDecodeError(err) {
				t.Fatalf("not a decoding error: %v", err)
			}
			return
		}
		if string(EncodeMessage(m)) != string(data) {
			t.Fatal("decoded message encodes differently")
		}
		stepFuzzed(t, bed, *m)
	})
}

func FuzzDecodeRecord(f *testing.F) {
	fuzzSeeds(f, func(w *wireSamples) [][]byte { return w.records })
	bed := newTestbed(f, 4, 6)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			if !isDecodeError(err) {
				t.Fatalf("not a decoding error: %v", err)
			}
			return
		}
		if string(EncodeRecord(r)) != string(data) {
			t.Fatal("decoded record encodes differently")
		}
		if m, err := New(Config{Key: bed.trustees[0], State: bed.state0}, []Record{*r}); err == nil {
			m.Tick(bed.start())
		} else if r.signer() != bed.trustees[0].Public() && !errors.Is(err, ErrBadRecord) {
			t.Fatalf("a record of another trustee: %v", err)
		}
	})
}

// stepFuzzed hands a decoded message to a fresh machine of trustee 0 at epoch 1; a
// rejected message must leave it as it was.
func stepFuzzed(t *testing.T, bed *testbed, msg Message) {
	m, err := New(Config{Key: bed.trustees[0], State: bed.state0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Tick(bed.start())
	before := fingerprint(m)
	if err := m.Step(msg); err != nil && fingerprint(m) != before {
		t.Fatalf("a rejected message changed the machine: %v", err)
	}
	m.Tick(bed.start().Add(10e9))
	_ = m.Ready()
	m.Advance()
}

func FuzzDecodeLegacyRecord(f *testing.F) {
	fuzzSeeds(f, func(w *wireSamples) [][]byte {
		var out [][]byte
		for _, raw := range w.records {
			if r, err := DecodeRecord(raw); err == nil {
				out = append(out, legacyEncode(*r))
			}
		}
		return out
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, epoch, err := DecodeLegacyRecord(data)
		if err != nil {
			if !isDecodeError(err) {
				t.Fatalf("not a decoding error: %v", err)
			}
			return
		}
		if rec != nil && (rec.Vote == nil || rec.Vote.Kind != chain.Precommit || rec.block == nil || rec.block.Hash() != rec.Vote.Block || rec.Vote.Epoch != epoch) {
			t.Fatalf("kept %+v of epoch %d: want a precommit beside the block it names", rec, epoch)
		}
	})
}

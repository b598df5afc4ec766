package compute

import (
	"context"
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/market/terms"
)

// TestLargestModule: a module of terms.MaxBlob bytes, the largest the network carries
// (128 MiB), passes the buyer's check and runs in a worker process. Its bulk is a
// custom section, which compiles to nothing, so the test costs the bytes' moving only.
func TestLargestModule(t *testing.T) {
	mod := padModule(t, job(t, "hash"), terms.MaxBlob)
	sb := newSandbox(t)
	if err := sb.Check(context.Background(), mod); err != nil {
		t.Fatal(err)
	}
	if err := sb.Check(context.Background(), append(mod, 0)); !errors.Is(err, ErrInvalidModule) {
		t.Fatalf("a byte over: %v", err)
	}
	w := testWorker()
	defer w.Close()
	p, err := w.Start(Job{Module: mod, Args: []string{"3"}, Input: []byte("x"), Limits: testLimits})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Wait(context.Background())
	if err != nil || res.Status != StatusOK || len(res.Stdout) == 0 {
		t.Fatalf("%v %v %s %q", err, res.Status, res.Reason, res.Stdout)
	}
}

// padModule appends a custom section to mod so that it is size bytes long.
func padModule(t testing.TB, mod []byte, size int) []byte {
	t.Helper()
	name := "daoli-padding"
	// The section's payload is its name's length and name, then the padding; its
	// header is the id byte and the payload's length as a 5-byte LEB128.
	payload := size - len(mod) - 1 - 5
	pad := payload - 1 - len(name)
	if pad < 0 {
		t.Fatalf("module of %d bytes cannot be padded to %d", len(mod), size)
	}
	out := make([]byte, 0, size)
	out = append(out, mod...)
	out = append(out, 0, byte(payload)|0x80, byte(payload>>7)|0x80, byte(payload>>14)|0x80, byte(payload>>21)|0x80, byte(payload>>28))
	out = append(out, byte(len(name)))
	out = append(out, name...)
	out = append(out, make([]byte, pad)...)
	if len(out) != size {
		t.Fatalf("padded to %d, want %d", len(out), size)
	}
	return out
}

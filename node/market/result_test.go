package market

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/content"
)

func TestOutputsOf(t *testing.T) {
	tree, err := compute.PackTree([]compute.TreeEntry{{Path: "a.txt", Data: []byte("a\n")}})
	if err != nil {
		t.Fatal(err)
	}
	ok := OutputsOf(compute.Result{Status: compute.StatusOK, Stdout: []byte("out"), Stderr: []byte("err"), Tree: tree})
	if ok.Result.Stdout != (Part{chain.Hash(content.HashOf([]byte("out"))), 3}) || string(ok.Result.Stderr) != "err" ||
		ok.Result.Tree != (Part{chain.Hash(content.HashOf(tree)), uint64(len(tree))}) || ok.Result.Reason != "" {
		t.Fatalf("ok run: %+v", ok.Result)
	}
	// Each of the three changes the digest.
	for name, r := range map[string]compute.Result{
		"stdout": {Status: compute.StatusOK, Stdout: []byte("Out"), Stderr: []byte("err"), Tree: tree},
		"stderr": {Status: compute.StatusOK, Stdout: []byte("out"), Stderr: []byte("Err"), Tree: tree},
		"tree":   {Status: compute.StatusOK, Stdout: []byte("out"), Stderr: []byte("err"), Tree: tree[:len(tree)-1]},
	} {
		if OutputsOf(r).Result.Hash() == ok.Result.Hash() {
			t.Errorf("a different %s gives the same digest", name)
		}
	}
	// A capped run posts its reason only: what it left differs between machines.
	capped := OutputsOf(compute.Result{Status: compute.StatusOutputTooLarge, Stdout: []byte("partial"), Stderr: []byte("e"),
		Reason: "wrote more than its cap of 10 bytes to /output"})
	if capped.Result.Stdout != (Part{}) || capped.Result.Stderr != nil || capped.Stdout != nil || capped.Result.Reason != "wrote more than its cap of 10 bytes to /output" {
		t.Fatalf("capped run: %+v", capped)
	}
	failed := OutputsOf(compute.Result{Status: compute.StatusFailed, Stdout: nil, Stderr: bytes.Repeat([]byte("x"), MaxStderr+5), Reason: strings.Repeat("r", MaxReason+5)})
	if len(failed.Result.Stderr) != MaxStderr || len(failed.Result.Reason) > MaxReason || failed.Result.Stdout.Hash != chain.Hash(content.HashOf(nil)) {
		t.Fatalf("failed run: stderr %d, reason %d, stdout %+v", len(failed.Result.Stderr), len(failed.Result.Reason), failed.Result.Stdout)
	}
	for _, o := range []Outputs{ok, capped, failed} {
		got, err := DecodeResult(o.Result.Encode())
		if err != nil || got.Hash() != o.Result.Hash() {
			t.Fatalf("round trip: %v, %+v want %+v", err, got, o.Result)
		}
	}
}

func TestDecodeResultRefuses(t *testing.T) {
	good := Result{Reason: "r", Stdout: Part{chain.Hash{1}, 5}, Stderr: []byte("e"), Tree: Part{chain.Hash{2}, 9}}.Encode()
	nonMinimal := append([]byte(resultMagic), 0x81, 0x00) // a reason's length of 1 in two bytes
	for name, b := range map[string][]byte{
		"empty":             nil,
		"magic":             append([]byte("dresult2\n"), good[len(resultMagic):]...),
		"truncated":         good[:len(good)-1],
		"trailing":          append(append([]byte{}, good...), 0),
		"size without hash": Result{Stdout: Part{Size: 3}}.Encode(),
		"long reason":       Result{Reason: strings.Repeat("r", MaxReason+1)}.Encode(),
		"long stderr":       Result{Stderr: make([]byte, MaxStderr+1)}.Encode(),
		"not minimal":       append(nonMinimal, good[len(resultMagic)+2:]...),
	} {
		if _, err := DecodeResult(b); !errors.Is(err, ErrResult) {
			t.Errorf("%s: %v, want ErrResult", name, err)
		}
	}
}

func FuzzDecodeResult(f *testing.F) {
	f.Add(Result{Reason: "r", Stdout: Part{chain.Hash{1}, 5}, Stderr: []byte("e"), Tree: Part{chain.Hash{2}, 9}}.Encode())
	f.Add(Result{}.Encode())
	f.Add([]byte(resultMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeResult(b)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Encode(), b) {
			t.Fatalf("decoded %x, encodes as %x", b, r.Encode())
		}
		if len(r.Reason) > MaxReason || len(r.Stderr) > MaxStderr {
			t.Fatalf("past a bound: %+v", r)
		}
	})
}

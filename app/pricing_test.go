package app

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/light"
)

func TestDecodePricing(t *testing.T) {
	for _, c := range []struct {
		in   string
		want *savedPricing // nil: refused
	}{
		{`{"price":3,"slots":2}`, &savedPricing{Price: 3, Slots: 2}},
		{"{\"price\":1,\"slots\":64}\n", &savedPricing{Price: 1, Slots: 64}},
		{`{"price":0,"slots":2}`, nil},
		{`{"price":3,"slots":0}`, nil},
		{`{"price":3}`, nil},
		{`{"price":3,"slots":65}`, nil},
		{`{"price":-3,"slots":1}`, nil},
		{`{"price":3,"slots":1,"cores":2}`, nil},
		{`{"price":3,"slots":1}{"price":4,"slots":1}`, nil},
		{``, nil},
		{`{not json`, nil},
	} {
		got, err := decodePricing([]byte(c.in))
		switch {
		case c.want == nil && (err == nil || !errors.Is(err, ErrPricingFile)):
			t.Errorf("%q: %+v, %v; want refused", c.in, got, err)
		case c.want != nil && (err != nil || got != *c.want):
			t.Errorf("%q: %+v, %v; want %+v", c.in, got, err, *c.want)
		}
	}
}

func FuzzDecodePricing(f *testing.F) {
	f.Add([]byte(`{"price":3,"slots":2}`))
	f.Add([]byte(`{"price":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodePricing(data)
		if err == nil && p.check() != nil {
			t.Fatalf("%q decoded to %+v, out of range", data, p)
		}
		if err != nil && !errors.Is(err, ErrPricingFile) {
			t.Fatalf("%q: %v is not ErrPricingFile", data, err)
		}
	})
}

// TestSharePriceWithoutNode: with no node running, `daoli share price` saves the
// price for the next start; bad input exits 2 and leaves the file as it was; a
// damaged file is named and stops the node's start.
func TestSharePriceWithoutNode(t *testing.T) {
	dir := t.TempDir()
	show := func(args ...string) control.PricingState {
		t.Helper()
		code, out, errOut := runCLI(t, append(append([]string{"share", "price"}, args...), "--data", dir, "--json")...)
		if code != 0 {
			t.Fatalf("daoli share price %v: exit %d: %s", args, code, errOut)
		}
		var st control.PricingState
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := show(); st.Price != DefaultProviderPrice || st.Slots != 1 || !strings.Contains(st.Reason, "No node is running") {
		t.Fatalf("defaults: %+v", st)
	}
	if st := show("4", "--slots", "3"); st.Price != 4 || st.Slots != 3 {
		t.Fatalf("set: %+v", st)
	}
	if st := show("5"); st.Price != 5 || st.Slots != 3 {
		t.Fatalf("price alone keeps the slots: %+v", st)
	}
	saved, err := os.ReadFile(filepath.Join(dir, pricingFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"0"}, `price "0": want a whole number of coins, at least 1`},
		{[]string{"five"}, `price "five"`},
		{[]string{"2.5"}, `price "2.5"`},
		{[]string{"-2"}, "flag provided but not defined: -2"},
		{[]string{"3", "--slots", "0"}, `--slots "0": want a whole number from 1 to 64`},
		{[]string{"3", "--slots", "65"}, `--slots "65"`},
		{[]string{"--slots", "2"}, "give the price with the slots"},
		{[]string{"3", "4"}, `unexpected argument "4"`},
		{[]string{"3", "--bogus"}, "flag provided but not defined: -bogus"},
	} {
		code, _, errOut := runCLI(t, append(append([]string{"share", "price"}, c.args...), "--data", dir)...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("daoli share price %v: exit %d, %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
	if now, err := os.ReadFile(filepath.Join(dir, pricingFile)); err != nil || string(now) != string(saved) {
		t.Fatalf("a refused command changed the file: %q, %v", now, err)
	}

	// The saved terms apply at start but for what the command line gives.
	mc := light.MarketConfig{Price: 1, Slots: 1}
	if err := applySavedPricing(dir, &mc, false, true); err != nil || mc.Price != 5 || mc.Slots != 1 {
		t.Fatalf("saved price, slots from the command line: %+v, %v", mc, err)
	}
	if err := os.WriteFile(filepath.Join(dir, pricingFile), []byte(`{"price":0,"slots":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := applySavedPricing(dir, &mc, false, false); !errors.Is(err, ErrPricingFile) || !strings.Contains(err.Error(), pricingFile) {
		t.Fatalf("a damaged file: %v", err)
	}
	if code, _, errOut := runCLI(t, "share", "price", "--data", dir); code != 1 || !strings.Contains(errOut, pricingFile) {
		t.Fatalf("showing a damaged file: exit %d, %q", code, errOut)
	}
}

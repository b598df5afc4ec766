//go:build unix

package app

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/ui"
)

// TestSharePriceScreenOnSession: the Share screen's Price card, over the app's
// backend of a real session on a network of four daoli-trustee processes, changes
// the provider's record on chain — what the chain matches buyers' deals against —
// without a restart; what the card refuses changes nothing.
func TestSharePriceScreenOnSession(t *testing.T) {
	tn := startMarketTrustees(t)
	dir := t.TempDir()
	shareAlways(t, dir)
	k, err := keys.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	log := new(nodetest.Buffer)
	s, err := StartSession(context.Background(), SessionConfig{DataDir: dir, NetworkFile: tn.networkFile, Wallet: k, Mine: true,
		Listen: "/ip4/127.0.0.1/tcp/0", Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	dump := func() { t.Logf("session:\n%s", log.String()) }
	// The record at price 2 needs a balance of 2 × 10 s × 8 = 160 to register.
	waitUntil(t, "the provider registered at the default price with the balance for price 2", func() bool {
		rec, ok := s.Node.Provider()
		return ok && rec.Price == DefaultProviderPrice && rec.Slots == 1 && s.Node.Status().Balance >= 200
	}, dump)

	test.NewTempApp(t)
	sh := ui.NewShare(&uiBackend{s: s, dataDir: dir, names: newJobNames(dir)})
	w := test.NewTempWindow(t, sh.Content)
	w.Resize(fyne.NewSize(960, 2000))
	var price, slots *widget.Entry
	buttons := map[string]*widget.Button{}
	var labels []*widget.Label
	for _, o := range test.LaidOutObjects(sh.Content) {
		switch o := o.(type) {
		case *widget.Form:
			if len(o.Items) == 2 && o.Items[0].Text == "Coins a second of a job's time limit" {
				price, slots = o.Items[0].Widget.(*widget.Entry), o.Items[1].Widget.(*widget.Entry)
			}
		case *widget.Button:
			buttons[o.Text] = o
		case *widget.Label:
			labels = append(labels, o)
		}
	}
	save, use := buttons["Save the price"], buttons["Use the suggestion"]
	if price == nil || save == nil || use == nil {
		t.Fatalf("the Price card: entries %v, buttons %v", price != nil, buttons)
	}
	said := func(prefix string) bool {
		for _, l := range labels {
			if strings.HasPrefix(l.Text, prefix) {
				return true
			}
		}
		return false
	}
	if price.Text != "1" || slots.Text != "1" || !said("Suggested ") {
		t.Fatalf("the card shows %q and %q, a suggestion %v", price.Text, slots.Text, said("Suggested "))
	}

	price.SetText("0")
	test.Tap(save)
	if !said("Not saved: not right: the price") {
		t.Fatal("a price of 0 was not refused")
	}
	price.SetText("2")
	slots.SetText("65")
	test.Tap(save)
	if !said("Not saved: 65 slots: want 1 to 64") {
		t.Fatal("65 slots were not refused in words")
	}
	if _, err := os.Stat(filepath.Join(dir, pricingFile)); !os.IsNotExist(err) {
		t.Fatalf("a refused price was saved: %v", err)
	}
	if p, k, _ := s.Node.Terms(); p != DefaultProviderPrice || k != 1 {
		t.Fatalf("a refused price reached the node: %d, %d", p, k)
	}

	slots.SetText("3")
	test.Tap(save)
	if !said("Saved: 2 coins a second, 3 jobs at once") {
		dump()
		t.Fatal("the price was not saved")
	}
	waitUntil(t, "the new price and slots in the record on chain", func() bool {
		rec, ok := s.Node.Provider()
		return ok && rec.Price == 2 && rec.Slots == 3
	}, dump)
	if p, ok, err := loadPricing(dir); err != nil || !ok || p != (savedPricing{Price: 2, Slots: 3}) {
		t.Fatalf("saved: %+v, %v, %v", p, ok, err)
	}
}

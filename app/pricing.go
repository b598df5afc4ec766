package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/daolicloud/daoli/node/capacity"
	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/control"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market"
	"github.com/daolicloud/daoli/ui"
)

// ErrPricingFile: the saved price and slots do not read back (docs/market.md,
// "Pricing").
var ErrPricingFile = errors.New("pricing file")

// savedPricing is the provider's price and slots as the data directory keeps them,
// in pricingFile: the Share screen and `daoli share price` save them, and a node
// asks them from its start.
type savedPricing struct {
	Price uint64 `json:"price"`
	Slots uint32 `json:"slots"`
}

func (p savedPricing) check() error {
	if p.Price == 0 || p.Slots == 0 || p.Slots > chain.MaxSlots {
		return fmt.Errorf("price %d and %d slots: want a price of at least 1 and 1 to %d slots", p.Price, p.Slots, chain.MaxSlots)
	}
	return nil
}

// loadPricing reads the saved price and slots; ok is false when none are saved.
func loadPricing(dataDir string) (p savedPricing, ok bool, err error) {
	path := filepath.Join(dataDir, pricingFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return savedPricing{}, false, nil
	case err != nil:
		return savedPricing{}, false, fmt.Errorf("load the price: %w", err)
	}
	if p, err = decodePricing(data); err != nil {
		return savedPricing{}, false, fmt.Errorf("%s: %w", path, err)
	}
	return p, true, nil
}

// decodePricing reads a pricing file strictly: one JSON object of the two fields,
// within their ranges.
func decodePricing(data []byte) (savedPricing, error) {
	var p savedPricing
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return savedPricing{}, fmt.Errorf("%w: %v", ErrPricingFile, err)
	}
	if dec.More() {
		return savedPricing{}, fmt.Errorf("%w: more than one object", ErrPricingFile)
	}
	if err := p.check(); err != nil {
		return savedPricing{}, fmt.Errorf("%w: %w", ErrPricingFile, err)
	}
	return p, nil
}

func savePricing(dataDir string, p savedPricing) error {
	if err := p.check(); err != nil {
		return err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return capacity.WriteFileAtomic(filepath.Join(dataDir, pricingFile), append(data, '\n'))
}

// applySavedPricing sets mc's price and slots to the saved ones, but for those its
// caller was told on the command line (keepPrice, keepSlots).
func applySavedPricing(dataDir string, mc *light.MarketConfig, keepPrice, keepSlots bool) error {
	p, ok, err := loadPricing(dataDir)
	if err != nil || !ok {
		return err
	}
	if !keepPrice {
		mc.Price = p.Price
	}
	if !keepSlots {
		mc.Slots = p.Slots
	}
	return nil
}

// Pricing implements control.Pricer: the terms the provider asks, as proven on chain,
// and the suggestion.
func (s *Session) Pricing() control.PricingState {
	price, slots, _ := s.Node.Terms()
	st := control.PricingState{Price: price, Slots: slots}
	if rec, ok := s.Node.Provider(); ok {
		st.Registered = &control.Terms{Price: rec.Price, Slots: rec.Slots}
	}
	sg := market.SuggestPrice(s.machine(), s.Node.Sales(), s.Node.Height(), chain.MaxSlots)
	st.Suggested = &control.Suggestion{Price: sg.Price, Slots: sg.Slots, Deals: sg.Deals, Reason: sg.Reason}
	return st
}

// SetPricing implements control.Pricer: it saves the terms of a checked request and
// has the running provider ask them, which registers them on chain. Slots 0 keeps
// the slots in force. The file is saved first, so that a failure changes nothing.
func (s *Session) SetPricing(req control.PricingRequest) (control.PricingState, error) {
	if err := req.Check(); err != nil {
		return control.PricingState{}, err
	}
	s.pricingMu.Lock()
	defer s.pricingMu.Unlock()
	_, slots, ok := s.Node.Terms()
	if !ok {
		return control.PricingState{}, light.ErrNoMarket
	}
	if req.Slots != 0 {
		slots = req.Slots
	}
	if err := savePricing(s.dataDir, savedPricing{Price: req.Price, Slots: slots}); err != nil {
		return control.PricingState{}, err
	}
	if err := s.Node.SetTerms(req.Price, slots); err != nil {
		return control.PricingState{}, err
	}
	return s.Pricing(), nil
}

// machine is what market.SuggestPrice reads of this computer: its cores, and the
// capacity check's job rate when the check measured this hardware.
func (s *Session) machine() market.Machine {
	s.fpOnce.Do(func() { s.fp = capacity.DetectHardware(context.Background(), nil).Fingerprint() })
	m := market.Machine{Cores: s.fp.Cores}
	res, err := capacity.FileCheckStore{Path: filepath.Join(s.dataDir, capacityCheckFile)}.LoadCheck()
	if err == nil && res.Fingerprint.Equal(s.fp) {
		m.JobRate = res.Job.SingleCore
	}
	return m
}

// Pricing implements ui.Backend: the Share screen's price.
func (b *uiBackend) Pricing() ui.PricingView {
	if _, _, ok := b.s.Node.Terms(); !ok {
		return ui.PricingView{NotProvider: "This node sells no compute: it runs without a wallet."}
	}
	st := b.s.Pricing()
	v := ui.PricingView{Price: st.Price, Slots: int(st.Slots)}
	if r := st.Registered; r != nil {
		v.Registered, v.RegisteredPrice, v.RegisteredSlots = true, r.Price, int(r.Slots)
	}
	if sg := st.Suggested; sg != nil {
		v.SuggestedPrice, v.SuggestedSlots, v.Suggestion = sg.Price, int(sg.Slots), sg.Reason
	}
	return v
}

// SetPricing implements ui.Backend: Session.SetPricing, with the range in words.
func (b *uiBackend) SetPricing(price uint64, slots int) error {
	switch {
	case price == 0:
		return errors.New("a price of 0: want at least 1 coin a second")
	case slots < 1 || slots > chain.MaxSlots:
		return fmt.Errorf("%d slots: want 1 to %d", slots, chain.MaxSlots)
	}
	_, err := b.s.SetPricing(control.PricingRequest{Price: price, Slots: uint32(slots)})
	return err
}

package control

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

type fakePricer struct {
	st   PricingState
	sets []PricingRequest // the requests that reached the node
}

func (f *fakePricer) Pricing() PricingState { return f.st }
func (f *fakePricer) SetPricing(req PricingRequest) (PricingState, error) {
	f.sets = append(f.sets, req)
	f.st.Price = req.Price
	if req.Slots > 0 {
		f.st.Slots = req.Slots
	}
	return f.st, nil
}

// TestPricingRequests: a price and slots reach the node; what is malformed or out of
// range is refused as a bad request without reaching it.
func TestPricingRequests(t *testing.T) {
	tests := []struct {
		body string
		want *PricingRequest // nil: refused with 400
	}{
		{`{"price":3,"slots":2}`, &PricingRequest{Price: 3, Slots: 2}},
		{`{"price":3}`, &PricingRequest{Price: 3}},
		{`{"price":18446744073709551615,"slots":64}`, &PricingRequest{Price: 1<<64 - 1, Slots: 64}},
		{`{"price":0,"slots":2}`, nil},
		{`{"slots":2}`, nil},
		{`{"price":3,"slots":65}`, nil},
		{`{"price":-1}`, nil},
		{`{"price":2.5}`, nil},
		{`{"price":"3"}`, nil},
		{`{"price":18446744073709551616}`, nil},
		{`{"price":3,"slots":4294967296}`, nil},
		{`{"price":3,"cores":2}`, nil},
		{`[3,2]`, nil},
		{``, nil},
		{`not json`, nil},
	}
	for _, tt := range tests {
		p := &fakePricer{}
		rec := httptest.NewRecorder()
		newHandlers(&fakeBackend{}, Info{Pricing: p}, nil).setPricing(rec, httptest.NewRequest("POST", "/v1/pricing", strings.NewReader(tt.body)))
		switch {
		case tt.want == nil && (rec.Code != 400 || len(p.sets) != 0):
			t.Errorf("%s: status %d, reached the node: %+v; want refused", tt.body, rec.Code, p.sets)
		case tt.want != nil && (rec.Code != 200 || len(p.sets) != 1 || p.sets[0] != *tt.want):
			t.Errorf("%s: status %d, reached the node: %+v; want %+v", tt.body, rec.Code, p.sets, *tt.want)
		}
	}
	rec := httptest.NewRecorder()
	newHandlers(&fakeBackend{}, Info{}, nil).setPricing(rec, httptest.NewRequest("POST", "/v1/pricing", strings.NewReader(`{"price":3}`)))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "market is not enabled") {
		t.Errorf("a node without a market: %d %s", rec.Code, rec.Body)
	}
}

// TestClientPricing: the client reads and sets the terms over the socket, and refuses
// a bad request before sending it.
func TestClientPricing(t *testing.T) {
	dir := t.TempDir()
	p := &fakePricer{st: PricingState{Price: 1, Slots: 1, Registered: &Terms{Price: 1, Slots: 1},
		Suggested: &Suggestion{Price: 2, Slots: 2, Deals: 3, Reason: "Suggested 2 coins"}}}
	s, err := Serve(dir, &fakeBackend{}, Info{Pricing: p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := c.Pricing(ctx)
	if err != nil || st.Price != 1 || st.Registered == nil || st.Suggested == nil || st.Suggested.Reason != "Suggested 2 coins" {
		t.Fatalf("pricing: %+v, %v", st, err)
	}
	if st, err = c.SetPricing(ctx, PricingRequest{Price: 5, Slots: 3}); err != nil || st.Price != 5 || st.Slots != 3 {
		t.Fatalf("set: %+v, %v", st, err)
	}
	if _, err := c.SetPricing(ctx, PricingRequest{Price: 0, Slots: 3}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("price 0: %v", err)
	}
	if len(p.sets) != 1 {
		t.Fatalf("reached the node: %+v", p.sets)
	}
}

func FuzzPricingBody(f *testing.F) {
	f.Add([]byte(`{"price":3,"slots":2}`))
	f.Add([]byte(`{"price":1}`))
	f.Add([]byte(`{"price":0,"slots":65}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p := &fakePricer{}
		rec := httptest.NewRecorder()
		newHandlers(&fakeBackend{}, Info{Pricing: p}, nil).setPricing(rec, httptest.NewRequest("POST", "/v1/pricing", strings.NewReader(string(body))))
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if (rec.Code == 200) != (len(p.sets) == 1) {
			t.Fatalf("status %d, %d requests reached the node for %q", rec.Code, len(p.sets), body)
		}
		if len(p.sets) == 1 && (p.sets[0].Check() != nil) {
			t.Fatalf("a request Check refuses reached the node: %+v", p.sets[0])
		}
	})
}

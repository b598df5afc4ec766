package control

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
	"github.com/daolicloud/daoli/node/market"
)

type fakeBackend struct {
	balance uint64
	sent    []SendRequest
}

var me = keys.Address{1, 2, 3}

func (f *fakeBackend) Status() light.Status {
	return light.Status{ChainID: "daoli-test", Height: 42, Address: me, Balance: f.balance, Wins: 3, Peers: 5}
}

func (f *fakeBackend) Balance(context.Context) (light.Account, error) {
	return light.Account{Account: chain.Account{Address: me, Balance: f.balance, Nonce: 2}, Height: 41}, nil
}

func (f *fakeBackend) Send(_ context.Context, to keys.Address, amount, fee uint64, memo string) (chain.Hash, error) {
	if amount+fee > f.balance {
		return chain.Hash{}, fmt.Errorf("%w: %d + fee %d, balance %d", light.ErrAmount, amount, fee, f.balance)
	}
	f.sent = append(f.sent, SendRequest{To: to, Amount: amount, Fee: fee, Memo: memo})
	return chain.Hash{9}, nil
}

func (f *fakeBackend) Ledger(from uint64) ([]light.Entry, error) {
	es := []light.Entry{
		{Height: 40, Source: light.SourceWin, Amount: 400, Time: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).UnixNano()},
		{Height: 41, Source: light.SourceSent, Amount: 5, Peer: keys.Address{7}, Tx: chain.Hash{8}},
	}
	var out []light.Entry
	for _, e := range es {
		if e.Height >= from {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeBackend) Summary(time.Time) (light.Summary, error) {
	t := light.Totals{light.SourceWin: 400}
	return light.Summary{Today: t, Week: t, Month: t, All: t, Ledger: 395}, nil
}

func serve(t *testing.T) (string, *fakeBackend, *Client) {
	t.Helper()
	dir := testDir(t)
	b := &fakeBackend{balance: 1000}
	s, err := Serve(dir, b, Info{Network: "Local demo network", Demo: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, b, c
}

func TestControlAPI(t *testing.T) {
	dir, b, c := serve(t)
	ctx := context.Background()
	checkOnlyUser(t, dir)
	s, err := c.Status(ctx)
	if err != nil || s.Height != 42 || s.Address != me || s.Wins != 3 || s.Peers != 5 || !s.Demo || s.Network != "Local demo network" {
		t.Fatalf("status %+v, %v", s, err)
	}
	bal, err := c.Balance(ctx)
	if err != nil || bal.Balance != 1000 || bal.Height != 41 || bal.Nonce != 2 {
		t.Fatalf("balance %+v, %v", bal, err)
	}
	es, err := c.Ledger(ctx, 41)
	if err != nil || len(es) != 1 || es[0].Amount != -5 || es[0].Source != "sent" || es[0].Peer == nil || es[0].Tx == nil {
		t.Fatalf("ledger %+v, %v", es, err)
	}
	sum, err := c.Summary(ctx)
	if err != nil || sum.Today["win"] != 400 || sum.Earned["all"] != 400 || sum.Ledger != 395 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	r, err := c.Send(ctx, SendRequest{To: keys.Address{7}, Amount: 10, Fee: 1, Memo: "hi"})
	if err != nil || r.Tx != (chain.Hash{9}) || len(b.sent) != 1 {
		t.Fatalf("send %+v, %v", r, err)
	}
	if _, err := c.Send(ctx, SendRequest{To: keys.Address{7}, Amount: 5000}); !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "balance 1000") {
		t.Fatalf("send above the balance: %v", err)
	}
	if _, err := c.Send(ctx, SendRequest{Amount: 5}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("send without a recipient: %v", err)
	}
	if _, err := c.Ledger(ctx, 0); err != nil {
		t.Fatal(err)
	}
}

func TestControlBadRequests(t *testing.T) {
	b := &fakeBackend{balance: 1000}
	h := newHandlers(b, Info{}, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/send", h.send)
	mux.HandleFunc("GET /v1/ledger", h.ledger)
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/v1/send", `{`, 400},
		{"POST", "/v1/send", `{"to":"dao1nope","amount":1}`, 400},
		{"POST", "/v1/send", `{"to":"` + me.String() + `","amount":1,"extra":1}`, 400},
		{"POST", "/v1/send", `{"to":"` + me.String() + `","amount":-1}`, 400},
		{"POST", "/v1/send", `{"to":"` + me.String() + `","amount":1,"memo":"` + strings.Repeat("x", maxRequestBody) + `"}`, 400},
		{"GET", "/v1/ledger?from=x", ``, 400},
		{"GET", "/v1/ledger?from=-1", ``, 400},
		{"POST", "/v1/send", `{"to":"` + me.String() + `","amount":1}`, 200},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("%s %s %.40q: %d, want %d (%s)", tc.method, tc.path, tc.body, rec.Code, tc.want, rec.Body)
		}
	}
}

func TestControlSocketLifecycle(t *testing.T) {
	dir := testDir(t)
	if _, err := Dial(dir); !errors.Is(err, ErrNoNode) {
		t.Fatalf("dial without a node: %v", err)
	}
	s, err := Serve(dir, &fakeBackend{}, Info{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Serve(dir, &fakeBackend{}, Info{}, nil); !errors.Is(err, ErrRunning) {
		t.Fatalf("second server: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(dir); !errors.Is(err, ErrNoNode) {
		t.Fatalf("dial after close: %v", err)
	}
	leaveStale(t, dir)
	s, err = Serve(dir, &fakeBackend{}, Info{}, nil)
	if err != nil {
		t.Fatalf("serve after a node that died: %v", err)
	}
	s.Close()
}

func FuzzSendBody(f *testing.F) {
	f.Add([]byte(`{"to":"` + me.String() + `","amount":1,"fee":1}`))
	f.Add([]byte(`{"to":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b := &fakeBackend{balance: 1000}
		rec := httptest.NewRecorder()
		newHandlers(b, Info{}, nil).send(rec, httptest.NewRequest("POST", "/v1/send", strings.NewReader(string(body))))
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Code == 200 && len(b.sent) != 1 {
			t.Fatal("200 without a send")
		}
	})
}

type fakeSharer struct {
	st      SharingState
	choices []string // the choices that reached the governor, with their durations
}

func (f *fakeSharer) SetSharing(on bool) (SharingState, error) {
	f.st.On = on
	return f.st, nil
}
func (f *fakeSharer) SharingState() SharingState { return f.st }
func (f *fakeSharer) ChooseSharing(choice string, d time.Duration) (SharingState, error) {
	f.choices = append(f.choices, fmt.Sprintf("%s %v", choice, d))
	return f.st, nil
}

func TestControlSharing(t *testing.T) {
	dir := testDir(t)
	sh := &fakeSharer{st: SharingState{On: true, Mode: "auto", Reason: "Sharing: 1 of 2 cores at full duty, idle for 4 min"}}
	s, err := Serve(dir, &fakeBackend{}, Info{Sharing: sh}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := c.SetSharing(context.Background(), false); err != nil || st.On || sh.st.On {
		t.Fatalf("off: %+v %v", st, err)
	}
	if st, err := c.Sharing(context.Background()); err != nil || st.On || st.Reason != "Sharing: 1 of 2 cores at full duty, idle for 4 min" {
		t.Fatalf("state: %+v %v", st, err)
	}
	// A node without a governor says so.
	dir2 := testDir(t)
	s2, err := Serve(dir2, &fakeBackend{}, Info{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	c2, _ := Dial(dir2)
	if _, err := c2.Sharing(context.Background()); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("no governor: %v", err)
	}
}

// fakeMarket records the job requests that reach it.
type fakeMarket struct{ runs []JobRequest }

func (m *fakeMarket) RunJob(_ context.Context, req JobRequest) (chain.Hash, error) {
	m.runs = append(m.runs, req)
	return chain.Hash{1}, nil
}
func (m *fakeMarket) Jobs() []light.Job                    { return nil }
func (m *fakeMarket) JobByID(chain.Hash) (light.Job, bool) { return light.Job{}, false }
func (m *fakeMarket) JobOutput(context.Context, chain.Hash) ([]byte, error) {
	return nil, light.ErrNoDeal
}
func (m *fakeMarket) JobResult(context.Context, chain.Hash) (market.Outputs, error) {
	return market.Outputs{}, light.ErrNoDeal
}
func (m *fakeMarket) CancelJob(context.Context, chain.Hash) error { return light.ErrNoDeal }

func FuzzJobRequestBody(f *testing.F) {
	f.Add([]byte(`{"template":"pi","max_price":10}`))
	f.Add([]byte(`{"module_path":"/tmp/x.wasm","input_path":"rel","max_price":1}`))
	f.Add([]byte(`{"template":"pi","module_path":"/a"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := &fakeMarket{}
		rec := httptest.NewRecorder()
		newHandlers(&fakeBackend{}, Info{Market: m}, nil).runJob(rec, httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(string(body))))
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Code == 200 {
			if len(m.runs) != 1 {
				t.Fatal("200 without a job")
			}
			r := m.runs[0]
			if (r.Template == "") == (r.ModulePath == "") {
				t.Fatalf("a request naming %q and %q reached the market", r.Template, r.ModulePath)
			}
		}
	})
}

func TestJobRequestsRefused(t *testing.T) {
	for _, body := range []string{
		`{"max_price":10}`,
		`{"template":"pi","module_path":"/a.wasm","max_price":10}`,
		`{"module_path":"relative.wasm","max_price":10}`,
		`{"template":"pi","input_path":"in.txt","max_price":10}`,
		`{"template":"pi","max_price":-1}`,
		`{"template":"pi","unknown":1}`,
	} {
		m := &fakeMarket{}
		rec := httptest.NewRecorder()
		newHandlers(&fakeBackend{}, Info{Market: m}, nil).runJob(rec, httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(body)))
		if rec.Code != 400 || len(m.runs) != 0 || !strings.Contains(rec.Body.String(), "error") {
			t.Errorf("%s: status %d, %d runs, body %s", body, rec.Code, len(m.runs), rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	newHandlers(&fakeBackend{}, Info{}, nil).runJob(rec, httptest.NewRequest("POST", "/v1/jobs", strings.NewReader(`{"template":"pi","max_price":1}`)))
	if rec.Code != 400 {
		t.Errorf("a node without a market: status %d", rec.Code)
	}
}

// TestSharingChoiceRequests: the one-click choices reach the governor with their
// durations, and what is malformed is refused as a bad request without reaching it.
func TestSharingChoiceRequests(t *testing.T) {
	tests := []struct {
		body string
		want string // what reached the governor; empty: refused with 400
	}{
		{`{"choice":"share_now"}`, "share_now 1h0m0s"},
		{`{"choice":"share_now","for":"45m"}`, "share_now 45m0s"},
		{`{"choice":"share_now","for":"24h"}`, "share_now 24h0m0s"},
		{`{"choice":"pause"}`, "pause 0s"},
		{`{"choice":"rules"}`, "rules 0s"},
		{`{"choice":"share_now","for":"25h"}`, ""},
		{`{"choice":"share_now","for":"30s"}`, ""},
		{`{"choice":"share_now","for":"-1h"}`, ""},
		{`{"choice":"share_now","for":"soon"}`, ""},
		{`{"choice":"pause","for":"1h"}`, ""},
		{`{"choice":"always"}`, ""},
		{`{"choice":""}`, ""},
		{`{"choice":"pause","on":true}`, ""},
		{`not json`, ""},
	}
	for _, tt := range tests {
		sh := &fakeSharer{}
		rec := httptest.NewRecorder()
		newHandlers(&fakeBackend{}, Info{Sharing: sh}, nil).chooseSharing(rec, httptest.NewRequest("POST", "/v1/sharing/choice", strings.NewReader(tt.body)))
		switch {
		case tt.want == "" && (rec.Code != 400 || len(sh.choices) != 0):
			t.Errorf("%s: status %d, reached the governor: %q; want refused", tt.body, rec.Code, sh.choices)
		case tt.want != "" && (rec.Code != 200 || len(sh.choices) != 1 || sh.choices[0] != tt.want):
			t.Errorf("%s: status %d, reached the governor: %q; want %q", tt.body, rec.Code, sh.choices, tt.want)
		}
	}
}

// TestClientChooseSharing: the client's choices over the socket, and a bad duration
// refused before it is sent.
func TestClientChooseSharing(t *testing.T) {
	dir := testDir(t)
	sh := &fakeSharer{st: SharingState{On: true, Running: true, Reason: "Sharing: 1 of 2 cores at full duty, shared now, 1 h left"}}
	s, err := Serve(dir, &fakeBackend{}, Info{Sharing: sh}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if st, err := c.ChooseSharing(ctx, ChoiceShareNow, 0); err != nil || st.Reason != sh.st.Reason {
		t.Fatalf("share now: %+v, %v", st, err)
	}
	if _, err := c.ChooseSharing(ctx, ChoiceShareNow, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChooseSharing(ctx, ChoicePause, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChooseSharing(ctx, ChoiceShareNow, 48*time.Hour); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("two days: %v", err)
	}
	if want := []string{"share_now 1h0m0s", "share_now 30m0s", "pause 0s"}; strings.Join(sh.choices, ",") != strings.Join(want, ",") {
		t.Fatalf("reached the governor: %q, want %q", sh.choices, want)
	}
}

func FuzzSharingChoiceBody(f *testing.F) {
	f.Add([]byte(`{"choice":"share_now","for":"45m"}`))
	f.Add([]byte(`{"choice":"pause"}`))
	f.Add([]byte(`{"choice":"rules","for":""}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sh := &fakeSharer{}
		rec := httptest.NewRecorder()
		newHandlers(&fakeBackend{}, Info{Sharing: sh}, nil).chooseSharing(rec, httptest.NewRequest("POST", "/v1/sharing/choice", strings.NewReader(string(body))))
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if (rec.Code == 200) != (len(sh.choices) == 1) {
			t.Fatalf("status %d, %d choices reached the governor for %q", rec.Code, len(sh.choices), body)
		}
	})
}

package devnet

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMetric(t *testing.T) {
	const page = `# HELP daoli_chain_height Height of the tip.
# TYPE daoli_chain_height gauge
daoli_chain_height 42
# TYPE daoli_votes_signed_total counter
daoli_votes_signed_total 7
# TYPE daoli_peers gauge
daoli_peers{kind="light"} 3
`
	cases := []struct {
		name, body string
		status     int
		metric     string
		want       float64
		err        string
	}{
		{"gauge", page, 200, "daoli_chain_height", 42, ""},
		{"counter", page, 200, "daoli_votes_signed_total", 7, ""},
		{"labelled", page, 200, "daoli_peers", 3, ""},
		{"missing", page, 200, "daoli_nothing", 0, "no such metric"},
		{"not the text format", "daoli_chain_height forty-two\n", 200, "daoli_chain_height", 0, "metrics of"},
		{"an error page", "", 503, "daoli_chain_height", 0, "503"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/metrics" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")
			got, err := Metric(context.Background(), addr, c.metric)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("%v, want an error with %q", err, c.err)
				}
				if c.name == "missing" && !errors.Is(err, ErrNoMetric) {
					t.Fatalf("%v is not ErrNoMetric", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("%v %v, want %v", got, err, c.want)
			}
		})
	}
}

// TestHeightOfAStoppedTrustee: a trustee that accepts the connection and never answers
// (stopped by SIGSTOP) reads as -1 within a bound, so a poll goes on.
func TestHeightOfAStoppedTrustee(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	if h := Height(strings.TrimPrefix(srv.URL, "http://")); h != -1 {
		t.Fatalf("height %d", h)
	}
	if h := Height("127.0.0.1:1"); h != -1 {
		t.Fatalf("height of nothing listening: %d", h)
	}
}

package trustee

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the trustee's Prometheus series. Each trustee has its own registry, so
// several trustees in one process (the demo network) do not clash.
type metrics struct {
	reg           *prometheus.Registry
	height        prometheus.Gauge
	round         prometheus.Gauge
	peers         prometheus.Gauge
	mempool       prometheus.Gauge
	votes         *prometheus.CounterVec
	certification prometheus.Histogram
	blocks        *prometheus.CounterVec
	lights        prometheus.Gauge
	refused       prometheus.Counter
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg:     reg,
		height:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "daoli_chain_height", Help: "Height of the newest certified block."}),
		round:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "daoli_round", Help: "I-BFT round of the epoch being decided."}),
		peers:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "daoli_peers", Help: "Connected libp2p peers."}),
		mempool: prometheus.NewGauge(prometheus.GaugeOpts{Name: "daoli_mempool_txs", Help: "Transactions in the mempool."}),
		votes:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "daoli_votes_total", Help: "Votes this trustee signed, by kind."}, []string{"kind"}),
		certification: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "daoli_certification_seconds",
			Help:    "Time from closing an epoch's collect window to committing its certified block.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
	}
	m.lights = prometheus.NewGauge(prometheus.GaugeOpts{Name: "daoli_lights", Help: "Light nodes this trustee admitted (at its last admission)."})
	m.refused = prometheus.NewCounter(prometheus.CounterOpts{Name: "daoli_lights_refused_total", Help: "Light nodes refused for want of room."})
	m.blocks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "daoli_blocks_published_total",
		Help: "Committed blocks this trustee published on the blocks topic, or left to the copy already there."}, []string{"how"})
	reg.MustRegister(m.height, m.round, m.peers, m.mempool, m.votes, m.certification, m.blocks, m.lights, m.refused)
	return m
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>Daoli trustee</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:2px 12px}code{font-size:90%}</style></head>
<body><h1>Daoli trustee</h1>
<table>
<tr><td>chain</td><td>{{.ChainID}}</td></tr>
<tr><td>trustee</td><td><code>{{.Self}}</code></td></tr>
<tr><td>height</td><td>{{.Height}} <code>{{.Tip}}</code></td></tr>
<tr><td>block time</td><td>{{.Time}}</td></tr>
<tr><td>deciding</td><td>epoch {{.Epoch}}, round {{.Round}}, {{.Step}}</td></tr>
<tr><td>leader</td><td><code>{{.Leader}}</code></td></tr>
<tr><td>peers</td><td>{{.Peers}}</td></tr>
<tr><td>mempool</td><td>{{.Mempool}} transactions</td></tr>
{{with .LastCert}}<tr><td>last certificate</td><td>epoch {{.Epoch}}, round {{.Round}}, {{len .Sigs}} signatures, block <code>{{.Block}}</code></td></tr>{{end}}
</table>
<h2>Trustees ({{len .Trustees}})</h2>
<ol>{{range .Trustees}}<li><code>{{.}}</code></li>{{end}}</ol>
<p><a href="/metrics">metrics</a></p>
</body></html>
`))

// Handler serves the Prometheus metrics at /metrics and the status page at /.
func (t *Trustee) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(t.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		s := t.Status()
		if err := statusPage.Execute(w, &s); err != nil {
			t.log.Debug("status page", "err", err)
		}
	})
	return mux
}

// ServeHTTP listens on addr and serves Handler until ctx ends. It returns the address
// it listens on (useful with port 0) once listening; serving errors are logged.
func (t *Trustee) ServeHTTP(ctx context.Context, addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics server: %w", err)
	}
	srv := &http.Server{Handler: t.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.log.Error("metrics server", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr(), nil
}

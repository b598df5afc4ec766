package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/compute"
	"github.com/daolicloud/daoli/node/keys"
	"github.com/daolicloud/daoli/node/light"
)

// SocketFile is the control socket's name in the data directory (not on Windows,
// where the API is a named pipe: Address).
const SocketFile = "daoli.sock"

// Backend is what the control API serves. *light.Node is one; tests pass fakes.
type Backend interface {
	Status() light.Status
	Balance(ctx context.Context) (light.Account, error)
	Send(ctx context.Context, to keys.Address, amount, fee uint64, memo string) (chain.Hash, error)
	Ledger(from uint64) ([]light.Entry, error)
	Summary(now time.Time) (light.Summary, error)
}

// Sharer is the sharing switch of the node's governor.
type Sharer interface {
	// SetSharing turns sharing on (the saved run mode, or auto) or off (never) and
	// returns the governor's decision.
	SetSharing(on bool) (SharingState, error)
	// ChooseSharing applies one of the one-click choices (ChoiceShareNow for d,
	// ChoicePause, ChoiceRules) and returns the governor's decision.
	ChooseSharing(choice string, d time.Duration) (SharingState, error)
	SharingState() SharingState
}

// SharingState is the governor's state as the API reports it.
type SharingState struct {
	On      bool   `json:"on"`
	Running bool   `json:"running"`
	Mode    string `json:"mode"`
	Preset  string `json:"preset"`
	Reason  string `json:"reason"`
}

// Info is what the server adds to the backend: which network it follows, and the
// governor's switch when the node has one.
type Info struct {
	Network string // the network's name
	Demo    bool   // the embedded local demo network
	Sharing Sharer
	Market  Market // nil when the node has no market role
	Pricing Pricer // nil when the node has no market role
}

// maxRequestBody bounds a request body; the largest is a send with its memo.
const maxRequestBody = 4 << 10

// Server serves the control API until its context ends or Close.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	path string
	done chan struct{}
}

// Serve listens on the control API of dataDir: a Unix socket in it, or on Windows a
// named pipe named after it (listen_windows.go). A socket left by a node that died is
// replaced; one a live node answers on is ErrRunning.
func Serve(dataDir string, b Backend, info Info, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	path, err := Address(dataDir)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln, err := listen(path)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	h := newHandlers(b, info, log)
	mux.HandleFunc("GET /v1/status", h.status)
	mux.HandleFunc("GET /v1/balance", h.balance)
	mux.HandleFunc("GET /v1/ledger", h.ledger)
	mux.HandleFunc("GET /v1/summary", h.summary)
	mux.HandleFunc("POST /v1/send", h.send)
	mux.HandleFunc("GET /v1/sharing", h.sharing)
	mux.HandleFunc("POST /v1/sharing", h.setSharing)
	mux.HandleFunc("POST /v1/sharing/choice", h.chooseSharing)
	mux.HandleFunc("GET /v1/pricing", h.pricing)
	mux.HandleFunc("POST /v1/pricing", h.setPricing)
	mux.HandleFunc("POST /v1/jobs", h.runJob)
	mux.HandleFunc("GET /v1/jobs", h.jobs)
	mux.HandleFunc("GET /v1/jobs/{id}", h.job)
	mux.HandleFunc("POST /v1/jobs/{id}/output", h.jobOutput)
	mux.HandleFunc("POST /v1/jobs/{id}/result", h.jobResult)
	mux.HandleFunc("POST /v1/jobs/{id}/cancel", h.cancelJob)
	mux.HandleFunc("POST /v1/batches", h.runBatch)
	mux.HandleFunc("GET /v1/batches", h.batches)
	mux.HandleFunc("GET /v1/batches/{id}", h.batchShow)
	mux.HandleFunc("POST /v1/batches/{id}/cancel", h.cancelBatch)
	mux.HandleFunc("POST /v1/batches/{id}/results", h.batchResults)
	s := &Server{ln: ln, path: path, done: make(chan struct{}),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("control API stopped", "err", err)
		}
	}()
	return s, nil
}

// Close stops the server and removes the socket.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	unlisten(s.path)
	return err
}

// Path is the socket's path, or the named pipe's on Windows.
func (s *Server) Path() string { return s.path }

type handlers struct {
	b    Backend
	info Info
	log  *slog.Logger
}

func newHandlers(b Backend, info Info, log *slog.Logger) handlers {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return handlers{b: b, info: info, log: log}
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (h handlers) fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrBadRequest), errors.Is(err, light.ErrAmount), errors.Is(err, light.ErrNoWallet),
		errors.Is(err, keys.ErrBadAddress), errors.Is(err, light.ErrNoDeal), errors.Is(err, light.ErrDealState),
		errors.Is(err, compute.ErrInvalidModule), errors.Is(err, compute.ErrLimits), errors.Is(err, chain.ErrBadBody),
		errors.Is(err, compute.ErrTreePath), errors.Is(err, compute.ErrTreeSize), errors.Is(err, compute.ErrTreeFormat),
		errors.Is(err, compute.ErrTreeDuplicate), errors.Is(err, compute.ErrDirNotEmpty):
		code = http.StatusBadRequest
	case errors.Is(err, light.ErrNoTrustees), errors.Is(err, light.ErrBehind), errors.Is(err, light.ErrNotTaken):
		code = http.StatusServiceUnavailable
	}
	reply(w, code, errorBody{Error: err.Error()})
}

func (h handlers) status(w http.ResponseWriter, _ *http.Request) {
	s := StatusOf(h.b.Status())
	s.Network, s.Demo = h.info.Network, h.info.Demo
	reply(w, http.StatusOK, s)
}

func (h handlers) balance(w http.ResponseWriter, r *http.Request) {
	a, err := h.b.Balance(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	reply(w, http.StatusOK, Balance{Address: a.Address, Balance: a.Balance, Nonce: a.Nonce, Height: a.Height})
}

func (h handlers) ledger(w http.ResponseWriter, r *http.Request) {
	var from uint64
	if v := r.URL.Query().Get("from"); v != "" {
		var err error
		if from, err = strconv.ParseUint(v, 10, 64); err != nil {
			h.fail(w, fmt.Errorf("%w: from=%q is not a height", ErrBadRequest, v))
			return
		}
	}
	es, err := h.b.Ledger(from)
	if err != nil {
		h.fail(w, err)
		return
	}
	out := make([]Entry, len(es))
	for i := range es {
		out[i] = EntryOf(es[i])
	}
	reply(w, http.StatusOK, out)
}

func (h handlers) summary(w http.ResponseWriter, _ *http.Request) {
	s, err := h.b.Summary(time.Now())
	if err != nil {
		h.fail(w, err)
		return
	}
	reply(w, http.StatusOK, SummaryOf(s))
}

func (h handlers) send(w http.ResponseWriter, r *http.Request) {
	var req SendRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		h.fail(w, fmt.Errorf("%w: %v", ErrBadRequest, err))
		return
	}
	if req.To == (keys.Address{}) {
		h.fail(w, fmt.Errorf("%w: no recipient", ErrBadRequest))
		return
	}
	tx, err := h.b.Send(r.Context(), req.To, req.Amount, req.Fee, req.Memo)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("sent", "to", req.To.String(), "amount", req.Amount, "tx", tx.Short())
	reply(w, http.StatusOK, SendResponse{Tx: tx})
}

func (h handlers) sharing(w http.ResponseWriter, _ *http.Request) {
	if h.info.Sharing == nil {
		h.fail(w, fmt.Errorf("%w: this node has no sharing governor", ErrBadRequest))
		return
	}
	reply(w, http.StatusOK, h.info.Sharing.SharingState())
}

// SharingRequest turns sharing on or off.
type SharingRequest struct {
	On bool `json:"on"`
}

func (h handlers) setSharing(w http.ResponseWriter, r *http.Request) {
	if h.info.Sharing == nil {
		h.fail(w, fmt.Errorf("%w: this node has no sharing governor", ErrBadRequest))
		return
	}
	var req SharingRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		h.fail(w, fmt.Errorf("%w: %v", ErrBadRequest, err))
		return
	}
	st, err := h.info.Sharing.SetSharing(req.On)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("sharing switched", "on", req.On)
	reply(w, http.StatusOK, st)
}

func (h handlers) chooseSharing(w http.ResponseWriter, r *http.Request) {
	if h.info.Sharing == nil {
		h.fail(w, fmt.Errorf("%w: this node has no sharing governor", ErrBadRequest))
		return
	}
	var req SharingChoiceRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		h.fail(w, fmt.Errorf("%w: %v", ErrBadRequest, err))
		return
	}
	d, err := req.Parse()
	if err != nil {
		h.fail(w, err)
		return
	}
	st, err := h.info.Sharing.ChooseSharing(req.Choice, d)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("sharing choice", "choice", req.Choice, "for", d)
	reply(w, http.StatusOK, st)
}

func (h handlers) pricing(w http.ResponseWriter, _ *http.Request) {
	if h.info.Pricing == nil {
		h.fail(w, fmt.Errorf("%w: %w", ErrBadRequest, light.ErrNoMarket))
		return
	}
	reply(w, http.StatusOK, h.info.Pricing.Pricing())
}

func (h handlers) setPricing(w http.ResponseWriter, r *http.Request) {
	if h.info.Pricing == nil {
		h.fail(w, fmt.Errorf("%w: %w", ErrBadRequest, light.ErrNoMarket))
		return
	}
	var req PricingRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		h.fail(w, fmt.Errorf("%w: %v", ErrBadRequest, err))
		return
	}
	if err := req.Check(); err != nil {
		h.fail(w, err)
		return
	}
	st, err := h.info.Pricing.SetPricing(req)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.log.Info("provider terms set", "price", st.Price, "slots", st.Slots)
	reply(w, http.StatusOK, st)
}

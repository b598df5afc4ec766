package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// maxResponseBody bounds what the client reads; a ledger of a long-running node is the
// largest answer.
const maxResponseBody = 64 << 20

// Client talks to the node serving a data directory.
type Client struct {
	http *http.Client
	path string
}

// Dial connects to the node of dataDir, or returns ErrNoNode.
func Dial(dataDir string) (*Client, error) {
	path, err := Address(dataDir)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := dial(ctx, path)
	if err != nil {
		if noNode(err) {
			return nil, ErrNoNode
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	c.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return dial(ctx, path)
	}}
	return &Client{path: path, http: &http.Client{Transport: tr}}, nil
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://daoli"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoNode, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return fmt.Errorf("read the node's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorBody
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = resp.Status
		}
		if resp.StatusCode == http.StatusBadRequest {
			return fmt.Errorf("%w: %s", ErrBadRequest, e.Error)
		}
		return fmt.Errorf("%w: %s", ErrRemote, e.Error)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the node's answer to %s: %w", path, err)
	}
	return nil
}

// Status asks for the node's state.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	return s, c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
}

// Balance asks for the wallet's proven balance.
func (c *Client) Balance(ctx context.Context) (Balance, error) {
	var b Balance
	return b, c.do(ctx, http.MethodGet, "/v1/balance", nil, &b)
}

// Ledger asks for the ledger from height on.
func (c *Client) Ledger(ctx context.Context, from uint64) ([]Entry, error) {
	var es []Entry
	return es, c.do(ctx, http.MethodGet, "/v1/ledger?from="+strconv.FormatUint(from, 10), nil, &es)
}

// Summary asks for the earnings totals.
func (c *Client) Summary(ctx context.Context) (Summary, error) {
	var s Summary
	return s, c.do(ctx, http.MethodGet, "/v1/summary", nil, &s)
}

// Send asks the node to transfer coins.
func (c *Client) Send(ctx context.Context, req SendRequest) (SendResponse, error) {
	var r SendResponse
	return r, c.do(ctx, http.MethodPost, "/v1/send", req, &r)
}

// Sharing asks for the governor's state.
func (c *Client) Sharing(ctx context.Context) (SharingState, error) {
	var s SharingState
	return s, c.do(ctx, http.MethodGet, "/v1/sharing", nil, &s)
}

// SetSharing turns sharing on or off.
func (c *Client) SetSharing(ctx context.Context, on bool) (SharingState, error) {
	var s SharingState
	return s, c.do(ctx, http.MethodPost, "/v1/sharing", SharingRequest{On: on}, &s)
}

// ChooseSharing applies one of the one-click sharing choices; d is how long a
// share-now lasts (zero: DefaultShareNow) and must be zero for the others.
func (c *Client) ChooseSharing(ctx context.Context, choice string, d time.Duration) (SharingState, error) {
	req := SharingChoiceRequest{Choice: choice}
	if d != 0 {
		req.For = d.String()
	}
	if _, err := req.Parse(); err != nil {
		return SharingState{}, err
	}
	var s SharingState
	return s, c.do(ctx, http.MethodPost, "/v1/sharing/choice", req, &s)
}

// Pricing asks for the provider's price and slots and the suggested price.
func (c *Client) Pricing(ctx context.Context) (PricingState, error) {
	var s PricingState
	return s, c.do(ctx, http.MethodGet, "/v1/pricing", nil, &s)
}

// SetPricing sets the provider's price and slots; a request Check refuses is not sent.
func (c *Client) SetPricing(ctx context.Context, req PricingRequest) (PricingState, error) {
	if err := req.Check(); err != nil {
		return PricingState{}, err
	}
	var s PricingState
	return s, c.do(ctx, http.MethodPost, "/v1/pricing", req, &s)
}

package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// rpcClient is shared by every call: the load generator's requests reuse its
// connections.
var rpcClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 16},
}

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      int    `json:"id"`
	Method  string `json:"method"`
	Params  any    `json:"params"`
}

type rpcResponse struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
}

func (r rpcResponse) err() error {
	if r.Error != nil {
		return fmt.Errorf("%w: %d %s %s", ErrRPC, r.Error.Code, r.Error.Message, r.Error.Data)
	}
	return nil
}

func post(ctx context.Context, url string, body any) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := rpcClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRPC, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRPC, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: %.200s", ErrRPC, resp.Status, out)
	}
	return out, nil
}

func call(ctx context.Context, url, method string, params, result any) error {
	out, err := post(ctx, url, rpcRequest{"2.0", 1, method, params})
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	var r rpcResponse
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("%s: %w: %w", method, ErrRPC, err)
	}
	if err := r.err(); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if err := json.Unmarshal(r.Result, result); err != nil {
		return fmt.Errorf("%s: %w: %w", method, ErrRPC, err)
	}
	return nil
}

// Height is the validator's latest committed height (/status).
func Height(ctx context.Context, url string) (int64, error) {
	var st struct {
		SyncInfo struct {
			Height string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := call(ctx, url, "status", map[string]any{}, &st); err != nil {
		return 0, err
	}
	h, err := strconv.ParseInt(st.SyncInfo.Height, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("status: %w: height %q", ErrRPC, st.SyncInfo.Height)
	}
	return h, nil
}

// Unconfirmed is the number of transactions in the validator's mempool.
func Unconfirmed(ctx context.Context, url string) (int, error) {
	var r struct {
		N string `json:"n_txs"`
	}
	if err := call(ctx, url, "num_unconfirmed_txs", map[string]any{}, &r); err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(r.N)
	if err != nil {
		return 0, fmt.Errorf("num_unconfirmed_txs: %w: %q", ErrRPC, r.N)
	}
	return n, nil
}

// Block is what the harness reads of a committed block: its height, the time in its
// header and how many transactions it carries.
type Block struct {
	Height int64
	Time   time.Time
	Txs    int
}

// ParseBlockchain reads the answer of /blockchain: the metadata of up to 20 blocks,
// newest first, returned oldest first.
func ParseBlockchain(raw []byte) ([]Block, error) {
	var r struct {
		Metas []struct {
			Header struct {
				Height string    `json:"height"`
				Time   time.Time `json:"time"`
			} `json:"header"`
			NumTxs string `json:"num_txs"`
		} `json:"block_metas"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("blockchain: %w: %w", ErrRPC, err)
	}
	out := make([]Block, len(r.Metas))
	for i, m := range r.Metas {
		h, err := strconv.ParseInt(m.Header.Height, 10, 64)
		if err != nil || h < 1 {
			return nil, fmt.Errorf("blockchain: %w: height %q", ErrRPC, m.Header.Height)
		}
		n, err := strconv.Atoi(m.NumTxs)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("blockchain: %w: num_txs %q", ErrRPC, m.NumTxs)
		}
		if m.Header.Time.IsZero() {
			return nil, fmt.Errorf("blockchain: %w: block %d has no time", ErrRPC, h)
		}
		out[len(out)-1-i] = Block{Height: h, Time: m.Header.Time, Txs: n}
	}
	for i := 1; i < len(out); i++ {
		if out[i].Height != out[i-1].Height+1 {
			return nil, fmt.Errorf("blockchain: %w: heights %d then %d", ErrRPC, out[i-1].Height, out[i].Height)
		}
	}
	return out, nil
}

// Blocks reads the blocks from..to (inclusive) from the validator at url.
func Blocks(ctx context.Context, url string, from, to int64) ([]Block, error) {
	var out []Block
	for lo := from; lo <= to; lo += 20 {
		hi := min(lo+19, to)
		var raw json.RawMessage
		if err := call(ctx, url, "blockchain", map[string]string{"minHeight": fmt.Sprint(lo), "maxHeight": fmt.Sprint(hi)}, &raw); err != nil {
			return nil, err
		}
		bs, err := ParseBlockchain(raw)
		if err != nil {
			return nil, err
		}
		if len(bs) != int(hi-lo+1) || bs[0].Height != lo {
			return nil, fmt.Errorf("blockchain: %w: asked %d..%d, got %d blocks", ErrRPC, lo, hi, len(bs))
		}
		out = append(out, bs...)
	}
	return out, nil
}

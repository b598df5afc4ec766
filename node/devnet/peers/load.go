package peers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// TxSize is the size of each kvstore transaction the load generator sends: that of a
// signed transfer on Daoli's devnet, so both chains carry the same bytes per
// transaction.
const TxSize = 143

// Tx is the i-th transaction of a run named run: "KEY=VALUE" (the kvstore's format),
// TxSize bytes, its key unique to the run and i, so that no two are the same
// transaction to CometBFT's mempool cache.
func Tx(run string, i int) []byte {
	s := fmt.Sprintf("%s-%010d=", run, i)
	return []byte(s + strings.Repeat("v", max(1, TxSize-len(s))))
}

// LoadResult is what a load step offered.
type LoadResult struct {
	Sent     int // transactions the validators accepted into their RPC
	Rejected int // transactions whose broadcast_tx_async returned an error
	Took     time.Duration
	Err      error // the first error, when any was returned
}

// batchMax is the JSON-RPC batch size: CometBFT's default [rpc]
// max_request_batch_size, which the harness leaves as it is.
const batchMax = 10

// sendersPerNode is how many requests the generator keeps in flight to each
// validator.
const sendersPerNode = 4

// Load sends transactions to the validators at urls at rate per second for dur, with
// broadcast_tx_async in JSON-RPC batches of up to batchMax, from sendersPerNode
// senders per validator; a sender sends what is due whenever its last request is
// answered. When the validators answer slower than the rate asks, fewer are sent
// (LoadResult.Sent says how many). Transaction i of the run is Tx(run, i).
func Load(ctx context.Context, urls []string, run string, rate float64, dur time.Duration) (LoadResult, error) {
	start := time.Now()
	end := start.Add(dur)
	var mu sync.Mutex
	var res LoadResult
	var firstErr error
	var wg sync.WaitGroup
	senders := len(urls) * sendersPerNode
	per := rate / float64(senders)
	for s := range senders {
		url := urls[s%len(urls)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent := 0
			for {
				now := time.Now()
				if now.After(end) || ctx.Err() != nil {
					return
				}
				due := int(per*now.Sub(start).Seconds()) - sent
				if due <= 0 {
					time.Sleep(time.Millisecond)
					continue
				}
				n := min(due, batchMax)
				batch := make([]rpcRequest, n)
				for k := range batch {
					i := (sent+k)*senders + s
					batch[k] = rpcRequest{"2.0", k, "broadcast_tx_async", map[string]string{"tx": base64.StdEncoding.EncodeToString(Tx(run, i))}}
				}
				sent += n
				ok, err := broadcast(ctx, url, batch)
				mu.Lock()
				res.Sent += ok
				res.Rejected += n - ok
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Took = time.Since(start)
	res.Err = firstErr
	if res.Sent == 0 && firstErr != nil {
		return res, fmt.Errorf("load: %w", firstErr)
	}
	return res, nil
}

// broadcast sends a batch and returns how many of its calls succeeded.
func broadcast(ctx context.Context, url string, batch []rpcRequest) (int, error) {
	out, err := post(ctx, url, batch)
	if err != nil {
		return 0, err
	}
	return countOK(out, len(batch))
}

// countOK reads a JSON-RPC batch answer of n calls: how many returned no error.
// CometBFT answers a batch of one with a single response, not an array of one.
func countOK(raw []byte, n int) (int, error) {
	var rs []rpcResponse
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		rs = make([]rpcResponse, 1)
		if err := json.Unmarshal(t, &rs[0]); err != nil {
			return 0, fmt.Errorf("%w: batch answer: %w", ErrRPC, err)
		}
	} else if err := json.Unmarshal(raw, &rs); err != nil {
		return 0, fmt.Errorf("%w: batch answer: %w", ErrRPC, err)
	}
	if len(rs) != n {
		return 0, fmt.Errorf("%w: %d answers to %d calls: %.300s", ErrRPC, len(rs), n, raw)
	}
	ok := 0
	var first error
	for _, r := range rs {
		if err := r.err(); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		ok++
	}
	return ok, first
}

// CommittedRate is the transactions per second the blocks carried: those in the
// blocks after the first that carried any, up to the last that did, over the time
// between the two blocks' header times (Daoli's BenchmarkTransfers counts the same
// way). It returns the number of intervals timed; 0 when fewer than two blocks
// carried transactions.
func CommittedRate(blocks []Block) (rate float64, total int, intervals int) {
	first, last := -1, -1
	for i, b := range blocks {
		total += b.Txs
		if b.Txs > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 || last == first {
		return 0, total, 0
	}
	sum := 0
	for _, b := range blocks[first+1 : last+1] {
		sum += b.Txs
	}
	d := blocks[last].Time.Sub(blocks[first].Time).Seconds()
	if d <= 0 {
		return 0, total, 0
	}
	return float64(sum) / d, total, last - first
}

// Intervals are the times between consecutive blocks' header times.
func Intervals(blocks []Block) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(blocks); i++ {
		out = append(out, blocks[i].Time.Sub(blocks[i-1].Time))
	}
	return out
}

// Quantile is the q-quantile of ds (nearest rank), 0 for none.
func Quantile[T int64 | float64 | time.Duration](ds []T, q float64) T {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// Median is the median of xs: the mean of the middle two for an even count.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 0 {
		return (s[m-1] + s[m]) / 2
	}
	return s[m]
}

package peers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const configTOML = `# top comment
proxy_app = "tcp://127.0.0.1:26658"
moniker = "node0"

[rpc]
laddr = "tcp://127.0.0.1:26657"
max_request_batch_size = 10

[p2p]
laddr = "tcp://0.0.0.0:26656"
persistent_peers = ""

[consensus]
timeout_commit = "1s"
`

func TestSetTOML(t *testing.T) {
	got, err := SetTOML(configTOML, []Setting{
		{"", "proxy_app", `"kvstore"`},
		{"p2p", "laddr", `"tcp://127.0.0.1:1"`},
		{"consensus", "timeout_commit", `"0s"`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"proxy_app = \"kvstore\"\n", "[rpc]\nladdr = \"tcp://127.0.0.1:26657\"", "[p2p]\nladdr = \"tcp://127.0.0.1:1\"", `timeout_commit = "0s"`, "moniker = \"node0\""} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	for _, bad := range []Setting{
		{"consensus", "skip_timeout_commit", "true"}, // not in the file
		{"rpc", "persistent_peers", `""`},            // in another section
		{"", "laddr", `""`},                          // not at the top level
	} {
		if _, err := SetTOML(configTOML, []Setting{bad}); !errors.Is(err, ErrTOML) {
			t.Errorf("%+v: err %v, want ErrTOML", bad, err)
		}
	}
}

// The settings the harness writes are all keys of the config.toml that CometBFT
// v1.0.1's `cometbft testnet` writes (testdata/config-v1.0.1.toml, written by it).
func TestCometConfigKeys(t *testing.T) {
	raw, err := os.ReadFile("testdata/config-v1.0.1.toml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := SetTOML(string(raw), CometConfig(1, 2, []string{"a@127.0.0.1:3", "b@127.0.0.1:4"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nproxy_app = \"kvstore\"\n", `persistent_peers = "a@127.0.0.1:3,b@127.0.0.1:4"`,
		`laddr = "tcp://127.0.0.1:1"`, `laddr = "tcp://127.0.0.1:2"`, "\ntimeout_commit = \"0s\"\n", "\nskip_timeout_commit = false\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the config", want)
		}
	}
}

const benchOut = `goos: linux
BenchmarkCloseToCommit/n=4-2   	     150	  41000000 ns/op	         4.50 ms/epoch-p50	         7.00 ms/epoch-p90	        17.1 cpu-ms/epoch
    bench_test.go:12: BenchmarkCloseToCommit logs a line
BenchmarkCloseToCommit/n=4-2   	     150	  42000000 ns/op	         5.50 ms/epoch-p50	         8.00 ms/epoch-p90	        17.3 cpu-ms/epoch
BenchmarkCloseToCommit/n=4-2   	     150	  40000000 ns/op	         3.50 ms/epoch-p50	         9.00 ms/epoch-p90	        17.2 cpu-ms/epoch
BenchmarkTransfers/submit=all-batch64
BenchmarkTransfers/submit=all-batch64-2 	       1	5500000000 ns/op	      4926 tx/s	      3000 tx/block
PASS
ok  	x	12.3s
`

func TestParseBench(t *testing.T) {
	lines, err := ParseBench(benchOut)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 4 || lines[0].Name != "BenchmarkCloseToCommit/n=4" || lines[0].N != 150 || lines[3].Name != "BenchmarkTransfers/submit=all-batch64" {
		t.Fatalf("%+v", lines)
	}
	if got := Medians(lines, "ms/epoch-p50")["BenchmarkCloseToCommit/n=4"]; got != 4.5 {
		t.Errorf("median p50 %v, want 4.5", got)
	}
	if got := Medians(lines, "tx/s")["BenchmarkTransfers/submit=all-batch64"]; got != 4926 {
		t.Errorf("tx/s %v", got)
	}
	for _, bad := range []string{
		"BenchmarkX-2 1 100 ns/op 5",
		"BenchmarkX-2 1 1e ns/op",
	} {
		if _, err := ParseBench(bad); !errors.Is(err, ErrBench) {
			t.Errorf("%q: err %v, want ErrBench", bad, err)
		}
	}
}

func meta(h int, t string, n int) string {
	return `{"block_id":{},"block_size":"1","header":{"height":"` + itoa(h) + `","time":"` + t + `"},"num_txs":"` + itoa(n) + `"}`
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestParseBlockchain(t *testing.T) {
	raw := `{"last_height":"9","block_metas":[` + meta(7, "2026-12-08T00:00:00.5Z", 3) + "," + meta(6, "2026-12-08T00:00:00.2Z", 0) + `]}`
	bs, err := ParseBlockchain([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].Height != 6 || bs[1].Txs != 3 || bs[1].Time.Sub(bs[0].Time) != 300*time.Millisecond {
		t.Fatalf("%+v", bs)
	}
	for _, bad := range []string{
		`{"block_metas":[` + meta(7, "2026-12-08T00:00:00Z", 1) + "," + meta(5, "2026-12-08T00:00:00Z", 1) + `]}`, // a gap
		`{"block_metas":[{"header":{"height":"x","time":"2026-12-08T00:00:00Z"},"num_txs":"1"}]}`,
		`{"block_metas":[{"header":{"height":"1","time":"2026-12-08T00:00:00Z"},"num_txs":"-1"}]}`,
		`{"block_metas":[{"header":{"height":"1"},"num_txs":"1"}]}`,
		`[]`,
	} {
		if _, err := ParseBlockchain([]byte(bad)); !errors.Is(err, ErrRPC) {
			t.Errorf("%s: err %v, want ErrRPC", bad, err)
		}
	}
}

func FuzzParseBlockchain(f *testing.F) {
	f.Add([]byte(`{"block_metas":[` + meta(7, "2026-12-08T00:00:00.5Z", 3) + "," + meta(6, "2026-12-08T00:00:00.2Z", 0) + `]}`))
	f.Add([]byte(`{"block_metas":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		bs, err := ParseBlockchain(raw)
		if err != nil {
			return
		}
		for i, b := range bs {
			if b.Height < 1 || b.Txs < 0 || b.Time.IsZero() || (i > 0 && b.Height != bs[i-1].Height+1) {
				t.Fatalf("accepted %+v", bs)
			}
		}
	})
}

func FuzzParseBench(f *testing.F) {
	f.Add(benchOut)
	f.Fuzz(func(t *testing.T, out string) {
		lines, err := ParseBench(out)
		if err != nil {
			return
		}
		for _, l := range lines {
			if !strings.HasPrefix(l.Name, "Benchmark") || l.Metrics == nil {
				t.Fatalf("accepted %+v", l)
			}
		}
	})
}

func TestCommittedRate(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name            string
		blocks          []Block
		rate            float64
		total, interval int
	}{
		{"none", nil, 0, 0, 0},
		{"one block carried all", []Block{{1, at(0), 0}, {2, at(100), 50}, {3, at(200), 0}}, 0, 50, 0},
		// The first carrying block is the start: its own transactions are not counted.
		{"steady", []Block{{1, at(0), 0}, {2, at(100), 10}, {3, at(300), 20}, {4, at(600), 30}, {5, at(700), 0}}, 100, 60, 2},
		{"empty blocks inside", []Block{{1, at(0), 10}, {2, at(500), 0}, {3, at(1000), 100}}, 100, 110, 2},
	} {
		rate, total, n := CommittedRate(tc.blocks)
		if rate != tc.rate || total != tc.total || n != tc.interval {
			t.Errorf("%s: %v %d %d, want %v %d %d", tc.name, rate, total, n, tc.rate, tc.total, tc.interval)
		}
	}
	iv := Intervals([]Block{{1, at(0), 0}, {2, at(100), 0}, {3, at(400), 0}})
	if len(iv) != 2 || Quantile(iv, 0.5) != 300*time.Millisecond || Quantile(iv, 0) != 100*time.Millisecond {
		t.Errorf("intervals %v", iv)
	}
	if Median([]float64{3, 1, 2, 10}) != 2.5 || Median([]float64{5, 1, 3}) != 3 || Median(nil) != 0 {
		t.Error("median")
	}
}

// isKV is the kvstore's check of a transaction (abci/example/kvstore isValidTx).
func isKV(tx []byte) bool {
	return bytes.Count(tx, []byte("=")) == 1 && bytes.Count(tx, []byte(":")) == 0 &&
		!bytes.HasPrefix(tx, []byte("=")) && !bytes.HasSuffix(tx, []byte("="))
}

func TestTx(t *testing.T) {
	seen := map[string]bool{}
	for i := range 1000 {
		for _, run := range []string{"s0", "s1"} {
			tx := Tx(run, i*7919)
			if len(tx) != TxSize || !isKV(tx) || seen[string(tx)] {
				t.Fatalf("tx %q: %d bytes, valid %v, seen %v", tx, len(tx), isKV(tx), seen[string(tx)])
			}
			seen[string(tx)] = true
		}
	}
}

func TestCountOK(t *testing.T) {
	ok := `{"jsonrpc":"2.0","id":0,"result":{"code":0,"hash":"AB"}}`
	bad := `{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"mempool is full"}}`
	for _, tc := range []struct {
		raw     string
		n, want int
		err     bool
	}{
		{"[" + ok + "," + ok + "]", 2, 2, false},
		{"[" + ok + "," + bad + "]", 2, 1, true},
		{ok, 1, 1, false}, // a batch of one is answered with one object
		{"[" + ok + "]", 2, 0, true},
		{"nonsense", 1, 0, true},
	} {
		got, err := countOK([]byte(tc.raw), tc.n)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("%s: %d %v, want %d, error %v", tc.raw, got, err, tc.want, tc.err)
		}
	}
}

// The load generator against a stand-in RPC that checks what a validator would: every
// request a batch of at most the default maximum, every transaction valid and new.
func TestLoad(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	var fail string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var batch []rpcRequest
		raw := new(bytes.Buffer)
		raw.ReadFrom(r.Body)
		if err := json.Unmarshal(raw.Bytes(), &batch); err != nil {
			batch = make([]rpcRequest, 1)
			json.Unmarshal(raw.Bytes(), &batch[0])
		}
		mu.Lock()
		defer mu.Unlock()
		if len(batch) == 0 || len(batch) > batchMax {
			fail = "batch of " + itoa(len(batch))
		}
		var answers []string
		for _, req := range batch {
			p, _ := req.Params.(map[string]any)
			s, _ := p["tx"].(string)
			tx, err := base64.StdEncoding.DecodeString(s)
			if req.Method != "broadcast_tx_async" || err != nil || !isKV(tx) || seen[string(tx)] {
				fail = "bad or repeated tx " + s
			}
			seen[string(tx)] = true
			answers = append(answers, `{"jsonrpc":"2.0","id":0,"result":{"code":0}}`)
		}
		if len(answers) == 1 {
			w.Write([]byte(answers[0]))
			return
		}
		w.Write([]byte("[" + strings.Join(answers, ",") + "]"))
	}))
	defer srv.Close()
	res, err := Load(context.Background(), []string{srv.URL, srv.URL}, "t", 2000, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fail != "" {
		t.Fatal(fail)
	}
	if res.Sent == 0 || res.Sent != len(seen) || res.Rejected != 0 || res.Sent > 2000*int(res.Took.Seconds()*1000)/1000+batchMax*2*sendersPerNode {
		t.Fatalf("sent %d in %v (%d distinct), rejected %d", res.Sent, res.Took, len(seen), res.Rejected)
	}
}

func TestRewritePaths(t *testing.T) {
	src := `stat("/input", &st); walk("/input", ""); snprintf(p, n, "/output/%s.stat", x); p + strlen("/output/"); Path::new("/input")`
	got := RewritePaths(src, "/tmp/x")
	want := `stat("/tmp/x/input", &st); walk("/tmp/x/input", ""); snprintf(p, n, "/tmp/x/output/%s.stat", x); p + strlen("/tmp/x/output/"); Path::new("/tmp/x/input")`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestAgree(t *testing.T) {
	det := WasmJob{Label: "hash"}
	rnd := WasmJob{Label: "pi", Random: true}
	for _, tc := range []struct {
		j    WasmJob
		outs []string
		want bool
	}{
		{det, []string{"a\nb\n", "a\nb\n", "a\nb\n"}, true},
		{det, []string{"a\nb\n", "a\nc\n", "a\nb\n"}, false},
		{det, []string{"", "", ""}, false}, // no output is no agreement
		{rnd, []string{"samples 5\npi 3.1\n", "samples 5\npi 3.2\n"}, true},
		{rnd, []string{"samples 5\npi 3.1\n", "samples 6\npi 3.1\n"}, false},
	} {
		var outs [][]byte
		for _, o := range tc.outs {
			outs = append(outs, []byte(o))
		}
		if got := Agree(tc.j, outs...); got != tc.want {
			t.Errorf("%s %q: %v", tc.j.Label, tc.outs, got)
		}
	}
}

func TestParseNodeRuns(t *testing.T) {
	r, err := ParseNodeRuns([]byte(`{"compile_ms":10.5,"runs_ms":[3,2.5],"cpu_ms":[3,2],"exit":0}` + "\n"))
	if err != nil || r.CompileMs != 10.5 || len(r.RunsMs) != 2 {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []string{`{"compile_ms":1,"runs_ms":[3],"cpu_ms":[3],"exit":2}`, `{"runs_ms":[]}`, `{"runs_ms":[3,2],"cpu_ms":[3]}`, `(node:1) warning`} {
		if _, err := ParseNodeRuns([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestSummaryTargets(t *testing.T) {
	r := Report{CometIdleP50: 250 * time.Millisecond, CometSteps: []CometStep{{Offered: 1000, Rate: 900, CPUPerTx: 500e3}, {Offered: 2000, Rate: 1500, CPUPerTx: 800e3}},
		BatchedCPU: 400, OneAtATimeCPU: 1600,
		CloseToCommitP50: 4.5, Batched: 7600, OneAtATime: 2600,
		Wasm: []WasmTimes{{Label: "pi", Native: 50e6, Node: 80e6, SandboxRun: 90e6, Sandbox: 95e6, OutputsAgree: true,
			NativeCPU: 50e6, NodeCPU: 80e6, SandboxCPU: 100e6}}}
	s := r.Summary()
	for _, want := range []string{"peak committed: 1500 tx/s", "target p50 ≤ 2 ms: NOT met", "batched: 5.07× (target ≥ 5×: met)",
		"one at a time: 1.73× (target ≥ 5×: NOT met)", "round: CometBFT's block interval / Daoli's close → commit = 55.56×", "1.125× met, 1.250× NOT met",
		"CPU per transaction at CometBFT's peak step: 800 µs; CometBFT / Daoli: batched 2.00×, one at a time 0.50×"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in\n%s", want, s)
		}
	}
}

func TestParseSchedstat(t *testing.T) {
	if ns, err := ParseSchedstat("123456789 5000 12\n"); err != nil || ns != 123456789 {
		t.Fatalf("%v %v", ns, err)
	}
	for _, bad := range []string{"", "1 2", "x 2 3", "-1 2 3"} {
		if _, err := ParseSchedstat(bad); !errors.Is(err, ErrProc) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

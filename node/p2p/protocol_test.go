package p2p

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/chain"
)

func TestProtocolIDs(t *testing.T) {
	p := mustProtocols("daoli-main.1")
	want := map[string]string{
		string(p.Sync):      "/daoli/daoli-main.1/sync/1.0.0",
		string(p.Proof):     "/daoli/daoli-main.1/proof/1.0.0",
		string(p.Submit):    "/daoli/daoli-main.1/submit/1.0.0",
		string(p.Clock):     "/daoli/daoli-main.1/clock/1.0.0",
		string(p.Consensus): "/daoli/daoli-main.1/consensus/1.0.0",
		string(p.Content):   "/daoli/daoli-main.1/content/1.0.0",
		p.KeyBlocks:         "/daoli/daoli-main.1/keyblocks",
		p.Blocks:            "/daoli/daoli-main.1/blocks",
		p.Txs:               "/daoli/daoli-main.1/txs",
		p.Offers:            "/daoli/daoli-main.1/offers",
		string(p.DHTPrefix): "/daoli/daoli-main.1",
		string(p.DHT):       "/daoli/daoli-main.1/kad/1.0.0",
		string(p.Gossip):    "/daoli/daoli-main.1/gossip/2.0.0",
		p.MDNSService:       "_daoli-daoli-main-1._udp",
	}
	for got, w := range want {
		if got != w {
			t.Errorf("got %s, want %s", got, w)
		}
	}
	// Every ID is distinct, and differs between chains.
	other := mustProtocols("daoli-test")
	seen := map[string]bool{}
	for _, s := range p.Streams() {
		if seen[string(s.ID)] {
			t.Errorf("duplicate %s", s.ID)
		}
		seen[string(s.ID)] = true
		if _, ok := other.Stream(s.ID); ok {
			t.Errorf("%s is also another chain's protocol", s.ID)
		}
		if s.RequestLimit <= 0 || (s.Kind == RequestResponse) != (s.ResponseLimit > 0) {
			t.Errorf("%s: limits %d/%d for kind %d", s.ID, s.RequestLimit, s.ResponseLimit, s.Kind)
		}
		if s.Kind == RequestResponse && s.ResponseLimit+1 < 1+MaxErrorText {
			t.Errorf("%s: response limit %d cannot carry an error text", s.ID, s.ResponseLimit)
		}
	}
	for _, tp := range p.Topics() {
		if seen[tp.Name] {
			t.Errorf("duplicate %s", tp.Name)
		}
		seen[tp.Name] = true
		if tp.Limit <= 0 || tp.Limit+gossipOverhead > maxGossipRPC {
			t.Errorf("%s: limit %d does not fit the gossip wire limit %d", tp.Name, tp.Limit, maxGossipRPC)
		}
	}
}

func TestProtocolLimitsFitChainObjects(t *testing.T) {
	cases := []struct {
		name         string
		limit, least int
	}{
		{"keyblocks topic", KeyBlockTopicLimit, chain.MaxKeyBlockSize},
		{"txs topic", TxTopicLimit, chain.MaxTxSize},
		{"blocks topic", BlockTopicLimit, chain.MaxBlockSize + chain.MaxCertSize},
		{"sync response", SyncResponseLimit, chain.MaxBlockSize + chain.MaxCertSize},
		{"submit request", SubmitRequestLimit, max(chain.MaxTxSize, chain.MaxKeyBlockSize)},
		{"consensus message", ConsensusMessageLimit, chain.MaxBlockSize},
	}
	for _, c := range cases {
		if c.limit < c.least {
			t.Errorf("%s: limit %d below the %d its chain object may take", c.name, c.limit, c.least)
		}
	}
	if KeyBlockTopicLimit != 1<<10 || TxTopicLimit != 64<<10 {
		t.Errorf("keyblocks %d, txs %d", KeyBlockTopicLimit, TxTopicLimit)
	}
}

func TestNewProtocolsRejectsBadChainIDs(t *testing.T) {
	for _, id := range []string{"", "Daoli", "daoli/main", "daoli main", "dao\x00li", strings.Repeat("a", chain.MaxChainID+1)} {
		if _, err := NewProtocols(id); !errors.Is(err, ErrBadChainID) {
			t.Errorf("chain ID %q: %v", id, err)
		}
	}
	if _, err := New(nil, Config{ChainID: "Bad/ID"}); !errors.Is(err, ErrBadChainID) {
		t.Errorf("New with a bad chain ID: %v", err)
	}
}

// TestProtocolIDsLiveInOneFile enforces the one-file rule: outside protocol.go, no Go
// source in the module spells a Daoli protocol ID or topic.
func TestProtocolIDsLiveInOneFile(t *testing.T) {
	root := filepath.Join("..", "..")
	allowed := filepath.Join("node", "p2p", "protocol.go")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if rel == allowed {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			// A file being edited elsewhere; the compiler will speak about it.
			t.Logf("skip %s: %v", rel, err)
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && strings.HasPrefix(s, "/daoli/") {
				t.Errorf("%s: protocol ID or topic %q outside %s", fset.Position(lit.Pos()), s, allowed)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

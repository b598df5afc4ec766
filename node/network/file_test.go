package network

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/daolicloud/daoli/node/chain/chaintest"
)

func peerAddr(t testing.TB, i int) string {
	t.Helper()
	k := chaintest.TrusteeKey(i)
	pub := k.Public()
	priv, err := crypto.UnmarshalEd25519PrivateKey(append(k.Seed(), pub[:]...))
	if err != nil {
		t.Fatal(err)
	}
	id, err := peer.IDFromPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return "/ip4/127.0.0.1/tcp/4001/p2p/" + id.String()
}

func testFile(t testing.TB) *File {
	t.Helper()
	g := chaintest.Config{}.Genesis()
	return &File{Name: "Test network", ChainID: g.ChainID, Genesis: g, Bootstrap: []string{peerAddr(t, 0)}}
}

func TestRoundTrip(t *testing.T) {
	f := testFile(t)
	path := filepath.Join(t.TempDir(), "network.json")
	if err := Save(path, f); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Encode(f)
	have, _ := Encode(got)
	if string(want) != string(have) {
		t.Fatalf("round trip changed the file:\n%s\nvs\n%s", want, have)
	}
	gs, err := got.Genesis.State()
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := f.Genesis.State()
	if gs.Root() != fs.Root() {
		t.Fatal("genesis state differs after a round trip")
	}
}

func TestBootstrapFallsBackToTrustees(t *testing.T) {
	f := testFile(t)
	f.Bootstrap = nil
	if err := f.Validate(); err == nil {
		t.Fatal("a file with nowhere to dial was accepted")
	}
	f.Genesis.Trustees[1].Addrs = []string{peerAddr(t, 1)}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := f.BootstrapAddrs(); len(got) != 1 || got[0] != peerAddr(t, 1) {
		t.Fatalf("bootstrap %v", got)
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := Encode(testFile(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	tests := []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "EOF"},
		{"not JSON", "hello", "invalid character"},
		{"unknown field", strings.Replace(s, `"name"`, `"nmae"`, 1), "unknown field"},
		{"trailing data", s + "{}", "trailing data"},
		{"no genesis", `{"name":"x","chain_id":"daoli-test","bootstrap":[]}`, "no genesis"},
		{"chain ID mismatch", strings.Replace(s, `"chain_id": "daoli-test",`+"\n  \"genesis\"", `"chain_id": "other",`+"\n  \"genesis\"", 1), "genesis is for"},
		{"bad genesis", strings.Replace(s, `"k_star": 4`, `"k_star": 0`, 1), "k_star"},
		{"bootstrap without peer ID", strings.Replace(s, peerAddr(t, 0), "/ip4/127.0.0.1/tcp/4001", 1), "no /p2p/"},
		{"bootstrap not a multiaddr", strings.Replace(s, `"/ip4/127.0.0.1/tcp/4001/p2p/`, `"nonsense/p2p/`, 1), "bootstrap"},
		{"oversized", strings.Repeat(" ", MaxFileSize+1), "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.data))
			if !errors.Is(err, ErrBadFile) {
				t.Fatalf("err = %v, want ErrBadFile", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	good, err := Encode(testFile(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"genesis":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		nf, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrBadFile) {
				t.Fatalf("error does not wrap ErrBadFile: %v", err)
			}
			return
		}
		out, err := Encode(nf)
		if err != nil {
			t.Fatalf("a decoded file does not encode: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("an encoded file does not decode: %v", err)
		}
		if _, err := again.Genesis.State(); err != nil {
			t.Fatalf("a valid file's genesis builds no state: %v", err)
		}
	})
}

package content

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/daolicloud/daoli/node/p2p"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/daolicloud/daoli/node/market/terms"
)

// fakeNet routes requests to the handler each peer registered, and can make a peer
// fail after a number of requests or lie about the bytes.
type fakeNet struct {
	handlers  map[peer.ID]p2p.RequestHandler
	failAfter map[peer.ID]int
	corrupt   map[peer.ID]bool
	requests  map[peer.ID]int
	bytes     int
}

func newFakeNet() *fakeNet {
	return &fakeNet{handlers: map[peer.ID]p2p.RequestHandler{}, failAfter: map[peer.ID]int{}, corrupt: map[peer.ID]bool{}, requests: map[peer.ID]int{}}
}

type peerResponder struct {
	n  *fakeNet
	id peer.ID
}

func (r peerResponder) Handle(_ protocol.ID, h p2p.RequestHandler, _ ...p2p.HandleOption) error {
	r.n.handlers[r.id] = h
	return nil
}

func (n *fakeNet) Request(ctx context.Context, p peer.ID, _ protocol.ID, req []byte) ([]byte, error) {
	h, ok := n.handlers[p]
	if !ok {
		return nil, errors.New("no route to peer")
	}
	n.requests[p]++
	if limit, ok := n.failAfter[p]; ok && n.requests[p] > limit {
		return nil, errors.New("stream reset")
	}
	resp, err := h(ctx, "client", req)
	if err != nil {
		return nil, err
	}
	r, err := DecodeResponse(resp)
	if err != nil {
		return nil, err
	}
	n.bytes += len(r.Data)
	if n.corrupt[p] && len(r.Data) > 0 {
		r.Data[0] ^= 0xff
		resp = encode(r)
	}
	return resp, nil
}

var protos, _ = p2p.NewProtocols("daoli-test")

func servingPeer(t *testing.T, n *fakeNet, id peer.ID, blobs ...[]byte) *Store {
	t.Helper()
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		if _, err := st.Put(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := Serve(peerResponder{n, id}, protos, st); err != nil {
		t.Fatal(err)
	}
	return st
}

func blob(size int, seed uint64) []byte {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestFetchResumes(t *testing.T) {
	data := blob(5*ChunkSize+1234, 1)
	h := HashOf(data)
	n := newFakeNet()
	servingPeer(t, n, "a", data)
	servingPeer(t, n, "b", data)
	n.failAfter["a"] = 2 // a breaks off after two chunks; b goes on from there
	local, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var punished []peer.ID
	f := &Fetcher{Req: n, Proto: protos.Content, Store: local, Punish: func(p peer.ID, _ string) { punished = append(punished, p) }}
	var lastDone, lastSize int64
	got, err := f.Fetch(context.Background(), h, terms.MaxBlob, []peer.ID{"a", "b"}, func(done, size int64) { lastDone, lastSize = done, size })
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("fetch: %v", err)
	}
	if n.bytes != len(data) {
		t.Fatalf("%d bytes moved for a blob of %d: the resume fetched again", n.bytes, len(data))
	}
	if lastDone != int64(len(data)) || lastSize != int64(len(data)) || len(punished) != 0 {
		t.Fatalf("progress %d/%d, punished %v", lastDone, lastSize, punished)
	}
	if !local.Has(h) {
		t.Fatal("not kept")
	}
	if _, err := os.Stat(local.partial(h)); !os.IsNotExist(err) {
		t.Fatal("partial file left behind")
	}
}

// TestFetchResumesAfterRestart: a fetch that failed on every peer leaves its partial
// file, and a later fetch (after a restart) goes on from it.
func TestFetchResumesAfterRestart(t *testing.T) {
	data := blob(3*ChunkSize, 2)
	h := HashOf(data)
	n := newFakeNet()
	servingPeer(t, n, "a", data)
	n.failAfter["a"] = 1
	local, _ := OpenStore(t.TempDir())
	f := &Fetcher{Req: n, Proto: protos.Content, Store: local}
	if _, err := f.Fetch(context.Background(), h, terms.MaxBlob, []peer.ID{"a"}, nil); err == nil {
		t.Fatal("fetch from a peer that breaks off succeeded")
	}
	delete(n.failAfter, "a")
	got, err := f.Fetch(context.Background(), h, terms.MaxBlob, []peer.ID{"a"}, nil)
	if err != nil || !bytes.Equal(got, data) || n.bytes != len(data) {
		t.Fatalf("resume: %v, %d bytes moved", err, n.bytes)
	}
}

func TestFetchRefusesLiesAndLimits(t *testing.T) {
	data := blob(2*ChunkSize+10, 3)
	h := HashOf(data)
	n := newFakeNet()
	servingPeer(t, n, "liar", data)
	servingPeer(t, n, "honest", data)
	n.corrupt["liar"] = true
	local, _ := OpenStore(t.TempDir())
	var punished []peer.ID
	f := &Fetcher{Req: n, Proto: protos.Content, Store: local, Punish: func(p peer.ID, _ string) { punished = append(punished, p) }}
	if _, err := f.Fetch(context.Background(), h, terms.MaxBlob, []peer.ID{"liar"}, nil); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("lying peer: %v", err)
	}
	if len(punished) != 1 || punished[0] != "liar" || local.Has(h) {
		t.Fatalf("punished %v, kept %v", punished, local.Has(h))
	}
	if got, err := f.Fetch(context.Background(), h, terms.MaxBlob, []peer.ID{"honest"}, nil); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after the liar: %v", err)
	}
	other := blob(ChunkSize, 4)
	servingPeer(t, n, "big", other)
	if _, err := f.Fetch(context.Background(), HashOf(other), 1000, []peer.ID{"big"}, nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("blob above the cap: %v", err)
	}
	if _, err := f.Fetch(context.Background(), HashOf([]byte("absent")), terms.MaxBlob, []peer.ID{"honest"}, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent blob: %v", err)
	}
}

func TestStore(t *testing.T) {
	st, _ := OpenStore(t.TempDir())
	h, err := st.Put([]byte("module bytes"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Get(h); err != nil || string(got) != "module bytes" {
		t.Fatalf("get: %q %v", got, err)
	}
	if err := os.WriteFile(st.path(h), []byte("rotted"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(h); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("rotted blob: %v", err)
	}
	if _, err := st.Put(make([]byte, terms.MaxBlob+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized put: %v", err)
	}
	if p, err := ParseHash(h.String()); err != nil || p != h {
		t.Fatal("hash round trip")
	}
	for _, bad := range []string{"", "xyz", h.String()[:10]} {
		if _, err := ParseHash(bad); err == nil {
			t.Fatalf("ParseHash(%q)", bad)
		}
	}
}

func TestServeRefusesBadRequests(t *testing.T) {
	n := newFakeNet()
	servingPeer(t, n, "a", []byte("x"))
	h := n.handlers["a"]
	for _, req := range [][]byte{nil, {0xff}, encode(&Request{Length: 0}), encode(&Request{Length: ChunkSize + 1}),
		encode(&Request{Hash: HashOf([]byte("x")), Offset: 5, Length: 10})} {
		if _, err := h(context.Background(), "p", req); !errors.Is(err, p2p.ErrBadInput) {
			t.Errorf("request %x: %v", req, err)
		}
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add(encode(&Request{Offset: 1, Length: 10}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err == nil && (r.Length == 0 || r.Length > ChunkSize) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add(encode(&Response{Size: 3, Data: []byte("abc")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeResponse(b)
		if err == nil && (len(r.Data) > ChunkSize || r.Size > terms.MaxBlob) {
			t.Fatalf("accepted %d bytes of %d", len(r.Data), r.Size)
		}
	})
}

func FuzzDecodeHostRequest(f *testing.F) {
	f.Add(encode(&HostRequest{Hash: HashOf([]byte("x")), Size: 10}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeHostRequest(b)
		if err == nil && (r.Size == 0 || r.Size > terms.MaxBlob) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// TestEmptyBlob: a job may write nothing; the empty blob needs no peer and no host.
func TestEmptyBlob(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{Store: st}
	got, err := f.Fetch(context.Background(), HashOf(nil), terms.MaxBlob, nil, nil)
	if err != nil || len(got) != 0 {
		t.Fatalf("empty blob: %q, %v", got, err)
	}
	if err := AskHost(context.Background(), nil, "", "", HashOf(nil), 0); err != nil {
		t.Fatalf("hosting the empty blob: %v", err)
	}
}

// TestFetchLargest moves a blob of the largest size the network carries (a module or
// input of 128 MiB) in chunks, from two peers, the first breaking off part way.
func TestFetchLargest(t *testing.T) {
	if terms.MaxBlob < 128<<20 {
		t.Fatalf("the largest blob is %d bytes; modules and inputs of 128 MiB must go through", terms.MaxBlob)
	}
	data := make([]byte, terms.MaxBlob)
	for i := 0; i < len(data); i += 4096 {
		data[i] = byte(i >> 12)
	}
	h := HashOf(data)
	n := newFakeNet()
	servingPeer(t, n, "a", data)
	servingPeer(t, n, "b", data)
	n.failAfter["a"] = 100
	local, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{Req: n, Proto: protos.Content, Store: local, Punish: func(peer.ID, string) {}}
	got, err := f.Fetch(context.Background(), h, terms.MaxBlob, []peer.ID{"a", "b"}, nil)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("fetch of %d bytes: %v", len(data), err)
	}
	if reqs := n.requests["a"] + n.requests["b"]; n.bytes != len(data) || reqs < len(data)/ChunkSize {
		t.Fatalf("%d bytes in %d requests for a blob of %d", n.bytes, reqs, len(data))
	}
}

package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/node/chain/chaintest"
	"github.com/daolicloud/daoli/node/p2p"
	ma "github.com/multiformats/go-multiaddr"
)

var (
	admitPeer, _ = p2p.PeerID(chaintest.UserKey(0).Public())
	admitAddr    = ma.StringCast("/ip4/127.0.0.1/tcp/4001")
)

func TestAdmitResponseValidate(t *testing.T) {
	good := AdmitPeer{ID: []byte(admitPeer), Addrs: [][]byte{admitAddr.Bytes()}}
	many := make([]AdmitPeer, p2p.MaxAdmitPeers+1)
	for i := range many {
		many[i] = good
	}
	cases := []struct {
		name string
		r    AdmitResponse
		ok   bool
	}{
		{"admitted", AdmitResponse{Admitted: true, Serving: 1, Limit: 2, Peers: []AdmitPeer{good}}, true},
		{"refused with a reason", AdmitResponse{Reason: "full", Serving: 2, Limit: 2}, true},
		{"refused without a reason", AdmitResponse{Serving: 2, Limit: 2}, false},
		{"a reason too long", AdmitResponse{Reason: strings.Repeat("x", p2p.MaxErrorText+1)}, false},
		{"too many peers", AdmitResponse{Admitted: true, Peers: many}, false},
		{"a bad peer ID", AdmitResponse{Admitted: true, Peers: []AdmitPeer{{ID: []byte("no"), Addrs: good.Addrs}}}, false},
		{"a peer without addresses", AdmitResponse{Admitted: true, Peers: []AdmitPeer{{ID: good.ID}}}, false},
		{"a bad address", AdmitResponse{Admitted: true, Peers: []AdmitPeer{{ID: good.ID, Addrs: [][]byte{{0xff, 0xff}}}}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got AdmitResponse
			if err := Decode(Encode(&c.r), &got, p2p.AdmitResponseLimit); err != nil {
				t.Fatal(err)
			}
			err := got.ValidateBasic()
			if (err == nil) != c.ok {
				t.Fatalf("ValidateBasic: %v, want ok %v", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			if err == nil && len(got.AddrInfos()) != len(c.r.Peers) {
				t.Fatal("peers lost")
			}
		})
	}
	// The largest response fits the protocol's limit.
	big := AdmitResponse{Reason: strings.Repeat("x", p2p.MaxErrorText), Peers: make([]AdmitPeer, p2p.MaxAdmitPeers)}
	for i := range big.Peers {
		big.Peers[i] = AdmitPeer{ID: good.ID, Addrs: make([][]byte, p2p.MaxAdmitAddrs)}
		for j := range big.Peers[i].Addrs {
			big.Peers[i].Addrs[j] = make([]byte, p2p.MaxAddrSize)
		}
	}
	if n := len(Encode(&big)); n > p2p.AdmitResponseLimit {
		t.Fatalf("the largest admit response is %d bytes, limit %d", n, p2p.AdmitResponseLimit)
	}
}

package market

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/daolicloud/daoli/node/chain"
	"github.com/daolicloud/daoli/node/chain/chaintest"
)

// TestTruncateKeepsUTF8: a rejection's reason is cut to the chain's limit without
// splitting a character, and the chain takes the transaction that carries it.
func TestTruncateKeepsUTF8(t *testing.T) {
	long := "the output could not be fetched: " + strings.Repeat("é", chain.MaxMemo)
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "fine", 10, "fine"},
		{"ascii cut", "abcdef", 4, "abcd"},
		{"two-byte character across the cut", "abcé", 4, "abc"},
		{"three-byte character across the cut", "ab€", 4, "ab"},
		{"four-byte character across the cut", "a😀", 3, "a"},
		{"character ends at the cut", "ab€", 5, "ab€"},
		{"not UTF-8", "a\xffb", 10, "a\uFFFDb"},
		{"long reason", long, chain.MaxMemo, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Truncate(tc.in, tc.n)
			if !utf8.ValidString(got) || len(got) > tc.n {
				t.Fatalf("Truncate(%q, %d) = %q: %d bytes, valid UTF-8 %v", tc.in, tc.n, got, len(got), utf8.ValidString(got))
			}
			if tc.want != "" && got != tc.want {
				t.Fatalf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			if !strings.HasPrefix(tc.in, got) && !strings.Contains(tc.in, "\xff") {
				t.Fatalf("Truncate(%q, %d) = %q is not a prefix", tc.in, tc.n, got)
			}
			tx := chain.NewTx(chaintest.UserKey(0), "test", 1, 0, &chain.ResultReject{Deal: chain.Hash{1}, Reason: got})
			if _, err := tx.DecodeBody(); err != nil {
				t.Fatalf("the chain refuses the reason %q: %v", got, err)
			}
		})
	}
}

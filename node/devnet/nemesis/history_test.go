package nemesis

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestHistoryRoundTrip: what a run records reads back; a damaged line is an error
// that names it.
func TestHistoryRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	h, err := newHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	h.Event("fault", "%s", Fault{Kind: Kill, Nodes: []int{2}})
	h.Sample("t0", 12, "", 0)
	h.Sample("l1", -1, "", 0)
	h.Sample("l2", 14, "bf958dad", 1.1)
	h.close()
	got, err := ReadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, h.Records()) {
		t.Fatalf("read back %+v, wrote %+v", got, h.Records())
	}
	if !got[2].Down || got[1].Height != 12 || got[0].Event != "fault" || got[3].Rate != 1.1 {
		t.Fatalf("records %+v", got)
	}
	if _, err := parseHistory([]byte("{\"t\":1}\n{bad\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("damaged history: %v", err)
	}
}

func FuzzParseHistory(f *testing.F) {
	f.Add([]byte("{\"t\":1.5,\"event\":\"fault\",\"detail\":\"kill on [1]\"}\n{\"t\":2,\"node\":\"t0\",\"height\":3}\n{\"t\":3,\"node\":\"l0\",\"height\":3,\"rate\":0.9}\n"))
	f.Add([]byte("\n\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseHistory(data)
		if err != nil {
			return
		}
		for _, r := range recs {
			_ = r.String()
		}
	})
}

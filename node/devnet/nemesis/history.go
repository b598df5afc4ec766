package nemesis

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Record is one line of a run's history.jsonl: an event (what the nemesis or the
// checker did, or saw) or a sample of one node's chain.
type Record struct {
	T      float64 `json:"t"` // seconds since the run began
	Event  string  `json:"event,omitempty"`
	Detail string  `json:"detail,omitempty"`
	Node   string  `json:"node,omitempty"`
	Height int64   `json:"height,omitempty"`
	Tip    string  `json:"tip,omitempty"`
	Down   bool    `json:"down,omitempty"` // the node did not answer
	// Rate is a light node's clock rate as its clock line shows it (private cycle /
	// global cycle), 0 before it has two live blocks.
	Rate float64 `json:"rate,omitempty"`
}

// History is the record of a run, written as it happens.
type History struct {
	begin time.Time
	mu    sync.Mutex
	f     *os.File
	enc   *json.Encoder
	recs  []Record
}

func newHistory(path string) (*History, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return &History{begin: time.Now(), f: f, enc: json.NewEncoder(f)}, nil
}

func (h *History) add(r Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.T = float64(time.Since(h.begin).Milliseconds()) / 1000
	h.recs = append(h.recs, r)
	h.enc.Encode(r)
}

// Event records an event.
func (h *History) Event(event, format string, a ...any) {
	h.add(Record{Event: event, Detail: fmt.Sprintf(format, a...)})
}

// Sample records a node's height, tip and clock rate; height -1: the node did not
// answer.
func (h *History) Sample(node string, height int64, tip string, rate float64) {
	h.add(Record{Node: node, Height: height, Tip: tip, Down: height < 0, Rate: rate})
}

// Records is a copy of the history so far.
func (h *History) Records() []Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Record(nil), h.recs...)
}

// Since is how long the run has been going.
func (h *History) Since() time.Duration { return time.Since(h.begin) }

func (h *History) close() error { return h.f.Close() }

// ReadHistory reads a history.jsonl back; a line that does not parse is an error
// naming it.
func ReadHistory(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseHistory(data)
}

func parseHistory(data []byte) ([]Record, error) {
	var recs []Record
	line := 0
	for len(data) > 0 {
		line++
		var l []byte
		if i := indexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		if len(l) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(l, &r); err != nil {
			return nil, fmt.Errorf("history line %d: %w", line, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// String is the record on one line, as the summary and logs write it.
func (r Record) String() string {
	if r.Event != "" {
		return fmt.Sprintf("%8.3fs %s: %s", r.T, r.Event, r.Detail)
	}
	if r.Down {
		return fmt.Sprintf("%8.3fs %s down", r.T, r.Node)
	}
	if r.Rate != 0 {
		return fmt.Sprintf("%8.3fs %s at %d %s, clock rate %.3f", r.T, r.Node, r.Height, r.Tip, r.Rate)
	}
	return fmt.Sprintf("%8.3fs %s at %d %s", r.T, r.Node, r.Height, r.Tip)
}

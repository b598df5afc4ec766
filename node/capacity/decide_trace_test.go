package capacity

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// traceLine is one line of a governor trace in testdata/traces: the lines a
// Governor records (TraceRecord: settings, or a sample with its decision) plus a
// shorthand to start from a preset. Settings lines override the settings so far.
type traceLine struct {
	Comment  string          `json:"#,omitempty"`
	Preset   Preset          `json:"preset,omitempty"`
	Cores    int             `json:"cores,omitempty"`
	Settings json.RawMessage `json:"settings,omitempty"`
	Sample   *Sample         `json:"sample,omitempty"`
	Decision *traceDecision  `json:"decision,omitempty"`
}

// traceDecision is the part of a Decision a trace checks; a recorded Decision decodes
// into it too. Cause and the GPU reason are checked when given.
type traceDecision struct {
	Run         bool      `json:"run"`
	Cores       int       `json:"cores"`
	Duty        float64   `json:"duty"`
	MemoryLimit uint64    `json:"memory_limit"`
	Reason      string    `json:"reason"`
	Cause       Cause     `json:"cause"`
	Since       time.Time `json:"since"`
	GPU         struct {
		Run    bool   `json:"run"`
		Reason string `json:"reason"`
		Cause  Cause  `json:"cause"`
	} `json:"gpu"`
}

// TestDecideTraces replays every recorded probe trace through Decide and compares
// each decision, reason included.
func TestDecideTraces(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "traces", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".jsonl"), func(t *testing.T) {
			replayTrace(t, file)
		})
	}
}

func replayTrace(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var (
		settings Settings
		prev     Decision
		checked  int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for lineNo := 1; sc.Scan(); lineNo++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var line traceLine
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&line); err != nil {
			t.Fatalf("%s:%d: %v", file, lineNo, err)
		}
		if line.Preset != "" {
			settings = PresetSettings(line.Preset, line.Cores)
		}
		if len(line.Settings) > 0 {
			if err := json.Unmarshal(line.Settings, &settings); err != nil {
				t.Fatalf("%s:%d: settings: %v", file, lineNo, err)
			}
			settings.Preset = Custom
		}
		if line.Preset != "" || len(line.Settings) > 0 {
			if err := settings.Validate(line.Cores); err != nil {
				t.Fatalf("%s:%d: %v", file, lineNo, err)
			}
		}
		if line.Sample == nil {
			continue
		}
		if line.Decision == nil {
			t.Fatalf("%s:%d: sample without a decision", file, lineNo)
		}
		got := Decide(settings, *line.Sample, prev, line.Sample.At)
		want := line.Decision
		if got.Run != want.Run || got.Cores != want.Cores || got.Duty != want.Duty || got.Reason != want.Reason {
			t.Errorf("%s:%d (%s):\n got  run=%v cores=%d duty=%v %q\n want run=%v cores=%d duty=%v %q",
				filepath.Base(file), lineNo, line.Comment, got.Run, got.Cores, got.Duty, got.Reason,
				want.Run, want.Cores, want.Duty, want.Reason)
		}
		if want.MemoryLimit != 0 && got.MemoryLimit != want.MemoryLimit {
			t.Errorf("%s:%d: memory limit %d, want %d", filepath.Base(file), lineNo, got.MemoryLimit, want.MemoryLimit)
		}
		if !want.Since.IsZero() && !got.Since.Equal(want.Since) {
			t.Errorf("%s:%d: since %v, want %v", filepath.Base(file), lineNo, got.Since, want.Since)
		}
		if want.Cause != "" && got.Cause != want.Cause {
			t.Errorf("%s:%d: cause %q, want %q", filepath.Base(file), lineNo, got.Cause, want.Cause)
		}
		if want.GPU.Reason != "" && (got.GPU.Reason != want.GPU.Reason || got.GPU.Run != want.GPU.Run) {
			t.Errorf("%s:%d: GPU run=%v %q, want run=%v %q", filepath.Base(file), lineNo,
				got.GPU.Run, got.GPU.Reason, want.GPU.Run, want.GPU.Reason)
		}
		if got.Reason == "" {
			t.Errorf("%s:%d: decision without a reason", file, lineNo)
		}
		prev = got
		checked++
	}
	if checked == 0 {
		t.Fatalf("%s: no samples", file)
	}
}

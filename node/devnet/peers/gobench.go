package peers

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// BenchLine is one result line of `go test -bench`: the benchmark's name without the
// GOMAXPROCS suffix, its iterations, and each metric by unit ("ns/op",
// "ms/epoch-p50", "tx/s").
type BenchLine struct {
	Name    string
	N       int
	Metrics map[string]float64
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseBench reads the result lines of go test -bench output; other lines (logs,
// PASS, ok) are skipped. A line that starts like a result but does not parse is an
// error.
func ParseBench(out string) ([]BenchLine, error) {
	var lines []BenchLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil {
			// "BenchmarkX" alone on a line, or a log line that starts with the name.
			continue
		}
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("%w: odd number of fields: %q", ErrBench, sc.Text())
		}
		l := BenchLine{Name: procsSuffix.ReplaceAllString(f[0], ""), N: n, Metrics: map[string]float64{}}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%w: value %q in %q", ErrBench, f[i], sc.Text())
			}
			l.Metrics[f[i+1]] = v
		}
		lines = append(lines, l)
	}
	return lines, sc.Err()
}

// Medians is the median of each benchmark's metric unit over its lines (one per
// -count), keyed by the benchmark's name.
func Medians(lines []BenchLine, unit string) map[string]float64 {
	by := map[string][]float64{}
	for _, l := range lines {
		if v, ok := l.Metrics[unit]; ok {
			by[l.Name] = append(by[l.Name], v)
		}
	}
	out := map[string]float64{}
	for k, vs := range by {
		out[k] = Median(vs)
	}
	return out
}

// GoBench runs go test -run '^$' -bench pattern with args in the module root dir and
// returns its output and result lines.
func GoBench(ctx context.Context, dir, pkg, pattern string, args ...string) (string, []BenchLine, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-run", "^$", "-bench", pattern}, append(args, pkg)...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), nil, fmt.Errorf("go test -bench %s %s: %w\n%s", pattern, pkg, err, out)
	}
	lines, err := ParseBench(string(out))
	return string(out), lines, err
}

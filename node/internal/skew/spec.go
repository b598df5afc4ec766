package skew

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Env names the environment variable a harness build reads its skew from.
const Env = "DAOLI_NEMESIS_CLOCK"

// ErrBadSpec reports a skew specification that does not parse.
var ErrBadSpec = errors.New("invalid clock skew")

// Spec is how a process's clock differs from the machine's: it reads Offset ahead
// (behind, when negative) from the start, runs Rate times as fast, and at JumpAt after
// the start moves Jump ahead at once. The zero Spec is the machine's clock.
type Spec struct {
	Offset time.Duration
	Rate   float64 // 0 means 1
	Jump   time.Duration
	JumpAt time.Duration
}

// Rate bounds: a clock that stops or runs backwards is no clock.
const (
	MinRate = 0.5
	MaxRate = 2
)

// Parse reads a specification of the form "offset=2m,rate=1.1,jump=5m@30s"; every
// field is optional, and "" is the zero Spec.
func Parse(s string) (Spec, error) {
	var sp Spec
	if s == "" {
		return sp, nil
	}
	for f := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return Spec{}, fmt.Errorf("%w: %q has no '='", ErrBadSpec, f)
		}
		var err error
		switch k {
		case "offset":
			sp.Offset, err = time.ParseDuration(v)
		case "rate":
			sp.Rate, err = strconv.ParseFloat(v, 64)
			if err == nil && !(sp.Rate >= MinRate && sp.Rate <= MaxRate) {
				err = fmt.Errorf("rate %v outside [%v, %v]", sp.Rate, MinRate, MaxRate)
			}
		case "jump":
			d, at, ok := strings.Cut(v, "@")
			if !ok {
				err = errors.New("want jump=DURATION@AFTER")
				break
			}
			if sp.Jump, err = time.ParseDuration(d); err == nil {
				sp.JumpAt, err = time.ParseDuration(at)
			}
			if err == nil && (sp.Jump < 0 || sp.JumpAt < 0) {
				err = errors.New("a jump goes forward, after the start")
			}
		default:
			err = errors.New("unknown field")
		}
		if err != nil {
			return Spec{}, fmt.Errorf("%w: %s: %v", ErrBadSpec, f, err)
		}
	}
	return sp, nil
}

// String is the specification in Parse's syntax.
func (s Spec) String() string {
	var fs []string
	if s.Offset != 0 {
		fs = append(fs, "offset="+s.Offset.String())
	}
	if s.Rate != 0 && s.Rate != 1 {
		fs = append(fs, "rate="+strconv.FormatFloat(s.Rate, 'g', -1, 64))
	}
	if s.Jump != 0 {
		fs = append(fs, "jump="+s.Jump.String()+"@"+s.JumpAt.String())
	}
	return strings.Join(fs, ",")
}

func (s Spec) rate() float64 {
	if s.Rate == 0 {
		return 1
	}
	return s.Rate
}

// At is the skewed reading elapsed after start by the machine's clock.
func (s Spec) At(start time.Time, elapsed time.Duration) time.Time {
	d := s.Offset + time.Duration(math.Round(float64(elapsed)*s.rate()))
	if s.Jump != 0 && elapsed >= s.JumpAt {
		d += s.Jump
	}
	return start.Add(d)
}

// Real is how long the machine's clock takes to see d pass on the skewed clock.
func (s Spec) Real(d time.Duration) time.Duration {
	return time.Duration(math.Round(float64(d) / s.rate()))
}

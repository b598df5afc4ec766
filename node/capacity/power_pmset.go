package capacity

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// parsePmset reads the output of macOS `pmset -g batt`:
//
//	Now drawing from 'Battery Power'
//	 -InternalBattery-0 (id=4653155)	85%; discharging; 4:47 remaining present: true
//
// A Mac without an InternalBattery line has no battery.
func parsePmset(out []byte) (Power, error) {
	var pw Power
	sourceSeen := false
	batteries, chargeSum, chargeCount := 0, 0.0, 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "drawing from"):
			sourceSeen = true
			pw.OnBattery = Known(strings.Contains(line, "'Battery Power'"))
		case strings.Contains(line, "InternalBattery"):
			batteries++
			if pct := strings.Index(line, "%"); pct > 0 {
				start := strings.LastIndexAny(line[:pct], " \t") + 1
				if v, err := strconv.ParseFloat(line[start:pct], 64); err == nil {
					chargeSum += v
					chargeCount++
				}
			}
		}
	}
	if !sourceSeen {
		return Power{}, fmt.Errorf("pmset output has no power source: %w", ErrUnknown)
	}
	pw.HasBattery = Known(batteries > 0)
	if batteries == 0 {
		pw.OnBattery = Known(false)
	}
	if chargeCount > 0 && chargeCount == batteries {
		pw.Charge = Known(clampPercent(chargeSum / float64(chargeCount)))
	}
	return pw, nil
}

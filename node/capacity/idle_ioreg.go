package capacity

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseHIDIdleTime reads the first HIDIdleTime (nanoseconds) from the output of
// macOS `ioreg -r -c IOHIDSystem -d 1`:
//
//	|   "HIDIdleTime" = 1529604542
func parseHIDIdleTime(out []byte) (time.Duration, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, `"HIDIdleTime"`)
		if i < 0 {
			continue
		}
		eq := strings.Index(line[i:], "=")
		if eq < 0 {
			continue
		}
		ns, err := strconv.ParseUint(strings.TrimSpace(line[i+eq+1:]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("HIDIdleTime %q: %w: %v", line, ErrUnknown, err)
		}
		return time.Duration(ns), nil
	}
	return 0, fmt.Errorf("no HIDIdleTime in ioreg output: %w", ErrUnknown)
}

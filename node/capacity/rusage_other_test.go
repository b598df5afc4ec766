//go:build !unix

package capacity

import "time"

func processCPUTime() (time.Duration, bool) { return 0, false }

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestBadCommandLines: what cannot make a run is refused with exit code 2 and a
// message naming it, before anything is built or started.
func TestBadCommandLines(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--seed", "x"}, `--seed "x"`},
		{[]string{"--seed", "1,,2"}, `--seed ""`},
		{[]string{"--trustees", "four"}, "invalid value"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), c.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errb.String(), c.want)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &out, &errb); code != 0 || !strings.Contains(errb.String(), "-duration") {
		t.Errorf("-h: exit %d, %q", code, errb.String())
	}
}

package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/daolicloud/daoli/internal/nodetest"
	"github.com/daolicloud/daoli/node/control"
)

// TestShareChoicesOnNode: a headless node has the dashboard's three choices, and the
// switch ends a pause: `daoli share now|pause|rules|on` through the control API of a
// real `daoli node` on the demo network, with the default (Balanced) settings.
func TestShareChoicesOnNode(t *testing.T) {
	p := &lightProc{dir: t.TempDir(), log: new(nodetest.Buffer)}
	if out, err := daoliCmd("wallet", "new", "--data", p.dir).CombinedOutput(); err != nil {
		t.Fatalf("wallet new: %v\n%s", err, out)
	}
	p.cmd = daoliCmd("node", "--data", p.dir)
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	})
	waitUntil(t, "the node's control API", func() bool { _, ok := p.status(); return ok }, func() { t.Log(p.log.String()) })
	share := func(args ...string) control.SharingState {
		t.Helper()
		code, out, errOut := runCLI(t, append(append([]string{"share"}, args...), "--data", p.dir, "--json")...)
		if code != 0 {
			t.Fatalf("daoli share %v: exit %d: %s", args, code, errOut)
		}
		var st control.SharingState
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("daoli share %v: %v: %s", args, err, out)
		}
		return st
	}
	if st := share("pause"); st.Running || st.Reason != "Paused: by you, until you resume" {
		t.Fatalf("after pause: %+v", st)
	}
	if st := share("status"); st.Reason != "Paused: by you, until you resume" {
		t.Fatalf("status after pause: %+v", st)
	}
	// On means on: the switch ends the pause.
	if st := share("on"); !st.On || strings.Contains(st.Reason, "by you") {
		t.Fatalf("after on: %+v", st)
	}
	share("pause")
	// Share-now ends the pause too; a reason that pauses it (battery, heat) still
	// says how long is left.
	if st := share("now", "--for", "30m"); !st.On || !strings.Contains(st.Reason, "30 min left") {
		t.Fatalf("after now --for 30m: %+v", st)
	}
	if st := share("rules"); strings.Contains(st.Reason, "min left") || strings.Contains(st.Reason, "by you") {
		t.Fatalf("after rules: %+v", st)
	}
	if st := share("now"); !strings.Contains(st.Reason, "1 h left") {
		t.Fatalf("after now: %+v", st)
	}
	// What is malformed is refused with a usage error and changes nothing.
	for _, args := range [][]string{{"now", "--for", "2d"}, {"now", "--for", "25h"}, {"pause", "--for", "1h"}, {"rules", "--for", "1h"}} {
		if code, _, errOut := runCLI(t, append(append([]string{"share"}, args...), "--data", p.dir)...); code != 2 || errOut == "" {
			t.Errorf("daoli share %v: exit %d, %q; want a usage error", args, code, errOut)
		}
	}
	if st := share("status"); !strings.Contains(st.Reason, "1 h left") {
		t.Fatalf("a refused command changed the state: %+v", st)
	}
}

package light

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestImportsNoServer checks that the light node's build imports no server package,
// directly or through another package of this module: it speaks to trustees through
// the messages of node/wire, never through node/trustee's code.
func TestImportsNoServer(t *testing.T) {
	const module = "github.com/daolicloud/daoli/"
	forbidden := []string{module + "node/trustee", module + "node/devnet"}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root: %v", err)
	}
	// via records the package through which each package was first reached.
	via := map[string]string{module + "node/light": ""}
	queue := []string{module + "node/light"}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		pkg, err := build.Default.ImportDir(filepath.Join(root, strings.TrimPrefix(path, module)), 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if _, seen := via[imp]; seen {
				continue
			}
			via[imp] = path
			if slices.Contains(forbidden, imp) {
				chain := []string{imp}
				for p := path; p != ""; p = via[p] {
					chain = append(chain, p)
				}
				slices.Reverse(chain)
				t.Errorf("node/light imports %s: %s", imp, strings.Join(chain, " → "))
				continue
			}
			queue = append(queue, imp)
		}
	}
	if len(via) < 5 {
		t.Fatalf("walked only %d packages: the walk does not follow the imports", len(via))
	}
}

package compute

import (
	"testing"

	"github.com/tetratelabs/wazero/experimental"
)

// TestLinearMemory: both kinds of linear memory grow keeping their contents, start
// zeroed, and refuse to grow past their maximum.
func TestLinearMemory(t *testing.T) {
	const max = 4 * pageSize
	for name, mem := range map[string]experimental.LinearMemory{
		"mapped": mmapAllocator.Allocate(pageSize, max),
		"slice":  &sliceMemory{max: max},
	} {
		t.Run(name, func(t *testing.T) {
			defer mem.Free()
			b := mem.Reallocate(pageSize)
			if len(b) != pageSize {
				t.Fatalf("%d bytes, want %d", len(b), pageSize)
			}
			b[0], b[pageSize-1] = 1, 2
			b = mem.Reallocate(3 * pageSize)
			if len(b) != 3*pageSize || b[0] != 1 || b[pageSize-1] != 2 {
				t.Fatalf("grown to %d bytes, contents %d %d", len(b), b[0], b[pageSize-1])
			}
			for i, c := range b[pageSize:] {
				if c != 0 {
					t.Fatalf("byte %d is %d after growing", pageSize+i, c)
				}
			}
			if b := mem.Reallocate(max); len(b) != max {
				t.Fatalf("%d bytes at the maximum", len(b))
			}
			if b := mem.Reallocate(max + pageSize); b != nil {
				t.Fatal("grew past the maximum")
			}
		})
	}
}

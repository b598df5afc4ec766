package gpu

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestTrusteeDoesNotLinkWebGPU: the trustee, and so every package it imports, stays
// free of wgpu-native; only node/gpu/device links it. The second list shows that the
// check sees the package when it is linked.
func TestTrusteeDoesNotLinkWebGPU(t *testing.T) {
	const webgpu = "github.com/cogentcore/webgpu/wgpu"
	deps := func(pkg string) []string {
		cmd := exec.Command("go", "list", "-deps", pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1") // the build that links it
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	if slices.Contains(deps("github.com/daolicloud/daoli/node/cmd/daoli-trustee"), webgpu) {
		t.Errorf("daoli-trustee links %s", webgpu)
	}
	if !slices.Contains(deps("github.com/daolicloud/daoli/node/gpu/device"), webgpu) {
		t.Errorf("node/gpu/device does not list %s: the list is not what the build links", webgpu)
	}
}

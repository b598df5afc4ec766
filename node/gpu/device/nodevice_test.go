//go:build !cgo || windows

package device

import (
	"errors"
	"testing"

	"github.com/daolicloud/daoli/node/gpu"
)

func TestNoExecutor(t *testing.T) {
	if _, _, err := (Executor{}).Execute(nil, nil, nil, nil); !errors.Is(err, gpu.ErrNoExecutor) {
		t.Errorf("Execute: %v", err)
	}
	if _, err := Probe(); !errors.Is(err, gpu.ErrNoExecutor) {
		t.Errorf("Probe: %v", err)
	}
}

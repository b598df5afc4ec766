// Command gpujob builds the GPU module of an example job (assets/jobs/<name>): its
// gpu.json with main.wgsl put in (gpu.Assemble), written to <name>.gpu.json. `make
// jobs` runs it; assets' TestGPUJobsReproducible checks the result.
//
//	go run ./packaging/gpujob assets/jobs/collatz
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/daolicloud/daoli/node/gpu"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gpujob DIR")
		os.Exit(2)
	}
	if err := build(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gpujob:", err)
		os.Exit(1)
	}
}

func build(dir string) error {
	man, err := os.ReadFile(filepath.Join(dir, "gpu.json"))
	if err != nil {
		return err
	}
	wgsl, err := os.ReadFile(filepath.Join(dir, "main.wgsl"))
	if err != nil {
		return err
	}
	mod, err := gpu.Assemble(man, wgsl)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	name := filepath.Base(filepath.Clean(dir))
	return os.WriteFile(filepath.Join(dir, name+".gpu.json"), append(mod, '\n'), 0o644)
}

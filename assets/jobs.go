package assets

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
)

// The example job modules (docs/compute.md §Example jobs), built by `make jobs` from
// jobs/<name>/main.go with GOOS=wasip1 GOARCH=wasm, from main.c with clang and
// wasi-libc, or from main.rs with rustc for wasm32-wasi; stored gzipped, with a
// manifest of their hashes and the toolchains that built them. The GPU jobs'
// modules, jobs/<name>/<name>.gpu.json, are their gpu.json with main.wgsl put in
// (packaging/gpujob); each has a CPU twin, the module of the same name.
//
//go:embed jobs/*/*.wasm.gz jobs/*/*.gpu.json jobs/manifest.json
var jobFS embed.FS

// JobInfo describes one example module.
type JobInfo struct {
	Name    string `json:"name"`
	SHA256  string `json:"sha256"` // of the uncompressed module
	Size    int    `json:"size"`
	Summary string `json:"summary"`
	Usage   string `json:"usage"`
}

// GPUJobInfo describes one example GPU module.
type GPUJobInfo struct {
	Name    string `json:"name"`
	SHA256  string `json:"sha256"`
	Size    int    `json:"size"`
	Summary string `json:"summary"`
}

// Manifest lists the example modules and the toolchains that built them: each
// version as the first line of its --version.
type Manifest struct {
	Go    string    `json:"go"`
	Clang string    `json:"clang"`
	Rustc string    `json:"rustc"`
	Jobs  []JobInfo `json:"jobs"`
	// GPUJobs are the GPU modules; each has a CPU twin in Jobs of the same name.
	GPUJobs []GPUJobInfo `json:"gpu_jobs"`
}

// JobManifest reads the manifest.
func JobManifest() (Manifest, error) {
	raw, err := jobFS.ReadFile("jobs/manifest.json")
	if err != nil {
		return Manifest{}, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return Manifest{}, fmt.Errorf("job manifest: %w", err)
	}
	sort.Slice(m.Jobs, func(i, j int) bool { return m.Jobs[i].Name < m.Jobs[j].Name })
	sort.Slice(m.GPUJobs, func(i, j int) bool { return m.GPUJobs[i].Name < m.GPUJobs[j].Name })
	return m, nil
}

// GPUJob returns the example GPU module name: its manifest (node/gpu).
func GPUJob(name string) ([]byte, error) {
	b, err := jobFS.ReadFile(path.Join("jobs", name, name+".gpu.json"))
	if err != nil {
		return nil, fmt.Errorf("example GPU job %q: %w", name, fs.ErrNotExist)
	}
	return b, nil
}

// Job returns the example module name, uncompressed.
func Job(name string) ([]byte, error) {
	f, err := jobFS.Open(path.Join("jobs", name, name+".wasm.gz"))
	if err != nil {
		return nil, fmt.Errorf("example job %q: %w", name, fs.ErrNotExist)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("example job %q: %w", name, err)
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, zr); err != nil {
		return nil, fmt.Errorf("example job %q: %w", name, err)
	}
	return b.Bytes(), nil
}

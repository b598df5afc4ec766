// Command matmul multiplies two 256×256 float32 matrices, the CPU twin of the GPU job matmul.
//
// The example of a float job: main.wgsl is the same product as a WGSL shader
// (gpu.json is its manifest), summing in the same order; the outputs agree within
// the manifest's tolerance, not bit for bit (docs/market.md, GPU jobs).
//
//	matmul      (input: /input/a.f32 and /input/b.f32, row-major little-endian; output: /output/c.f32)
package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
)

// n is the matrices' side, as in main.wgsl and gpu.json.
const n = 256

func read(name string) []float32 {
	b, err := os.ReadFile("/input/" + name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "matmul:", err)
		os.Exit(1)
	}
	if len(b) > 4*n*n {
		fmt.Fprintf(os.Stderr, "matmul: %s holds %d bytes, at most %d\n", name, len(b), 4*n*n)
		os.Exit(2)
	}
	m := make([]float32, n*n) // zero beyond the input, as the GPU buffer is
	for i := range len(b) / 4 {
		m[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return m
}

func main() {
	a, b := read("a.f32"), read("b.f32")
	out := make([]byte, 4*n*n)
	for row := range n {
		for col := range n {
			sum := float32(0)
			for k := range n {
				sum = sum + float32(a[row*n+k]*b[k*n+col]) // rounded, then added: no fused multiply-add
			}
			binary.LittleEndian.PutUint32(out[4*(row*n+col):], math.Float32bits(sum))
		}
	}
	if err := os.WriteFile("/output/c.f32", out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "matmul:", err)
		os.Exit(1)
	}
}

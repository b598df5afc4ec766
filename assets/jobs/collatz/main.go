// Command collatz counts the Collatz steps of each number of /input/start.bin, the CPU twin of the GPU job collatz.
//
// The example of an integer job that runs on the CPU and on the GPU with one answer:
// main.wgsl is the same algorithm as a WGSL shader (gpu.json is its manifest), and the
// two outputs are equal byte for byte.
//
//	collatz      (input: /input/start.bin, little-endian u32; output: /output/steps.bin)
package main

import (
	"encoding/binary"
	"fmt"
	"os"
)

// count is the numbers of a run: the size of the GPU job's buffers (gpu.json), 4 bytes each.
const count = 262144

// overflow marks a number whose path leaves the u32 range, as the shader does.
const overflow = 0xffffffff

func steps(n uint32) uint32 {
	s := uint32(0)
	for n > 1 {
		if n%2 == 0 {
			n /= 2
		} else {
			if n >= 0x55555555 { // 3n+1 would not fit in 32 bits
				return overflow
			}
			n = 3*n + 1
		}
		s++
	}
	return s
}

func main() {
	in, err := os.ReadFile("/input/start.bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "collatz:", err)
		os.Exit(1)
	}
	if len(in) > 4*count {
		fmt.Fprintf(os.Stderr, "collatz: start.bin holds %d bytes, at most %d\n", len(in), 4*count)
		os.Exit(2)
	}
	start := make([]byte, 4*count) // zero beyond the input, as the GPU buffer is
	copy(start, in)
	out := make([]byte, 4*count)
	for i := range count {
		binary.LittleEndian.PutUint32(out[4*i:], steps(binary.LittleEndian.Uint32(start[4*i:])))
	}
	if err := os.WriteFile("/output/steps.bin", out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "collatz:", err)
		os.Exit(1)
	}
}

// Command pi estimates π by throwing random points at the unit square.
//
// The example of a Monte-Carlo job. Its randomness comes from the sandbox, seeded from
// the deal, so a re-execution throws the same points.
//
//	pi [SAMPLES]
//
// The points come from SplitMix64 seeded by 8 bytes of crypto/rand: a generator that
// needs only 64-bit multiplies, written out where it is used. math/rand/v2's PCG
// multiplies 128-bit numbers, which WebAssembly has to emulate with four 64-bit ones,
// and is reached through the Source interface, an indirect call that costs more in
// Go's WebAssembly back end than the generator itself; with them this job ran 8× slower
// in the sandbox than natively.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
)

func main() {
	samples := uint64(10_000_000)
	if len(os.Args) > 1 {
		n, err := strconv.ParseUint(os.Args[1], 10, 64)
		if err != nil || n == 0 {
			fmt.Fprintln(os.Stderr, "pi: SAMPLES must be a whole number above 0")
			os.Exit(2)
		}
		samples = n
	}
	var seed [8]byte
	if _, err := rand.Read(seed[:]); err != nil {
		fmt.Fprintln(os.Stderr, "pi:", err)
		os.Exit(1)
	}
	inside := count(binary.LittleEndian.Uint64(seed[:]), samples)
	fmt.Printf("samples %d\ninside %d\npi %.10f\n", samples, inside, 4*float64(inside)/float64(samples))
}

// count throws n points, x and y uniform in [0, 1) with 53 random bits each, and
// counts those inside the quarter circle of radius 1. The generator's state is a
// local variable, so it stays in a register (a state behind a pointer would be read
// and written in memory on every draw, and a WebAssembly memory access is checked).
func count(seed, n uint64) (inside uint64) {
	s := seed
	for range n {
		s += golden
		x := unit(mix(s))
		s += golden
		y := unit(mix(s))
		if x*x+y*y <= 1 {
			inside++
		}
	}
	return inside
}

// SplitMix64 (Steele, Lea and Flood, 2014): the state advances by golden, and each
// state is mixed into an output.
const golden = 0x9e3779b97f4a7c15

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// unit maps the top 53 bits of z to [0, 1). The shifted value fits an int64, whose
// conversion is one instruction where an unsigned one takes a branch.
func unit(z uint64) float64 { return float64(int64(z>>11)) * 0x1p-53 }

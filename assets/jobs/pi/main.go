// Command pi estimates π by throwing random points at the unit square.
//
// The example of a Monte-Carlo job. Its randomness comes from the sandbox, seeded from
// the deal, so a re-execution throws the same points.
//
//	pi [SAMPLES]
package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
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
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		fmt.Fprintln(os.Stderr, "pi:", err)
		os.Exit(1)
	}
	rng := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:16])))
	var inside uint64
	for range samples {
		x, y := rng.Float64(), rng.Float64()
		if x*x+y*y <= 1 {
			inside++
		}
	}
	fmt.Printf("samples %d\ninside %d\npi %.10f\n", samples, inside, 4*float64(inside)/float64(samples))
}

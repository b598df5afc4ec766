// Command hash chains SHA-256 over its input ROUNDS times.
//
// A CPU benchmark whose answer anyone can check.
//
//	hash [ROUNDS]      (input on standard input)
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strconv"
)

func main() {
	rounds := 1_000_000
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "hash: ROUNDS must be a whole number above 0")
			os.Exit(2)
		}
		rounds = n
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hash:", err)
		os.Exit(1)
	}
	h := sha256.Sum256(in)
	for range rounds - 1 {
		h = sha256.Sum256(h[:])
	}
	fmt.Printf("rounds %d\nsha256 %x\n", rounds, h)
}

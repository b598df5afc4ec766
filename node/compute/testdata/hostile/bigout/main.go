// Command bigout writes without end.
package main

import (
	"bytes"
	"os"
)

func main() {
	line := bytes.Repeat([]byte("y"), 4095)
	line = append(line, '\n')
	for {
		os.Stdout.Write(line) // errors ignored on purpose: the sandbox must stop it
	}
}

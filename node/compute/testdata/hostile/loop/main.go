// Command loop never ends.
package main

func main() {
	x := 0
	for {
		x++
	}
}

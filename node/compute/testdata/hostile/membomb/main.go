// Command membomb allocates until something stops it.
package main

import "fmt"

func main() {
	var keep [][]byte
	for i := 0; ; i++ {
		b := make([]byte, 8<<20)
		b[len(b)-1] = byte(i)
		keep = append(keep, b)
		if i%16 == 0 {
			fmt.Println("allocated", (i+1)*8, "MiB")
		}
	}
}

// Command socket tries to reach the network. (Go's net.Listen on wasip1 is an
// in-process fake that never touches the host, so only dialing out is tried.)
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	for _, addr := range []string{"127.0.0.1:22", "10.0.0.1:80"} {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			fmt.Println("connected to", addr)
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, addr+":", err)
	}
	os.Exit(3)
}

// connect-refused client: connect where nothing listens, twice, and report the
// refusals. Exits 0 when every attempt was refused, as it should be.
package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"syscall"
)

const attempts = 2

func main() {
	refused := 0
	for i := 1; i <= attempts; i++ {
		// Each Dial makes a new socket, and a failed Dial has already closed
		// its own: after a failed connect(2) a socket's state is unspecified,
		// so it must not be reused. Real code would also wait between tries.
		conn, err := net.Dial("tcp", os.Args[1])
		if err == nil {
			conn.Close()
			log.Fatalf("attempt %d: connected to %s, where nothing should listen", i, os.Args[1])
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			log.Fatalf("attempt %d: %v (expected connection refused)", i, err)
		}
		fmt.Printf("attempt %d: %v\n", i, err)
		refused++
	}
	fmt.Printf("refused %d of %d\n", refused, attempts)
}

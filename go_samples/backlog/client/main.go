// backlog client: open 6 connections to a server that never accepts, each
// allowed half a second, keep the ones that complete, and report how each
// attempt ended.
package main

import (
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"syscall"
	"time"
)

const (
	attempts = 6
	// Shorter than TCP's first SYN retransmission (1 s): a connection the
	// kernel drops has sent exactly one SYN when the client gives up.
	timeout = 500 * time.Millisecond
)

func main() {
	var open []net.Conn
	completed, timedOut, refused := 0, 0, 0
	for i := 1; i <= attempts; i++ {
		conn, err := net.DialTimeout("tcp", os.Args[1], timeout)
		var netErr net.Error
		switch {
		case err == nil:
			// The handshake finished: the kernel queued the connection for
			// an accept that never comes. Keep it open so it stays queued.
			completed++
			open = append(open, conn)
			fmt.Printf("attempt %d: completed\n", i)
		case errors.As(err, &netErr) && netErr.Timeout():
			timedOut++
			fmt.Printf("attempt %d: timed out after %v\n", i, timeout)
		case errors.Is(err, syscall.ECONNREFUSED):
			refused++
			fmt.Printf("attempt %d: refused\n", i)
		default:
			log.Fatalf("attempt %d: %v", i, err)
		}
	}
	for _, conn := range open {
		conn.Close()
	}
	fmt.Printf("completed %d timed_out %d refused %d\n", completed, timedOut, refused)
}

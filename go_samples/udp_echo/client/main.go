// udp-echo client: send one datagram, check the echo, close.
package main

import (
	"bytes"
	"log"
	"net"
	"os"
)

func main() {
	server, err := net.ResolveUDPAddr("udp", os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	// DialUDP sends no packet: connect(2) on a UDP socket only records the
	// peer, so plain Write and Read work and the kernel drops datagrams that
	// come from anyone else.
	conn, err := net.DialUDP("udp", nil, server)
	if err != nil {
		log.Fatal(err)
	}
	msg := []byte("hello, kernel")
	if _, err := conn.Write(msg); err != nil {
		log.Fatal(err)
	}
	// One Read returns one whole datagram; the buffer must be large enough
	// for it, or the rest is lost.
	reply := make([]byte, 1024)
	n, err := conn.Read(reply)
	if err != nil {
		log.Fatal(err)
	}
	if !bytes.Equal(reply[:n], msg) {
		log.Fatalf("echo mismatch: sent %q, got %q", msg, reply[:n])
	}
	conn.Close()
}

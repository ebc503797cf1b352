// tcp-echo server: accept one connection, echo what it reads, close.
package main

import (
	"fmt"
	"log"
	"net"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	// The runner waits for this line before it starts the client.
	fmt.Println("ready", ln.Addr())

	conn, err := ln.Accept()
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 1024)
	n, err := conn.Read(buf)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := conn.Write(buf[:n]); err != nil {
		log.Fatal(err)
	}
	conn.Close()
	ln.Close()
}

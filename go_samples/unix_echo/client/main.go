// unix-echo client: connect to the server's path, send one message, check the
// echo, close.
package main

import (
	"bytes"
	"io"
	"log"
	"net"
	"os"
)

func main() {
	conn, err := net.Dial("unix", os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	msg := []byte("hello, kernel")
	if _, err := conn.Write(msg); err != nil {
		log.Fatal(err)
	}
	reply := make([]byte, len(msg))
	// A stream socket may hand the echo back in pieces: read until it is all here.
	if _, err := io.ReadFull(conn, reply); err != nil {
		log.Fatal(err)
	}
	if !bytes.Equal(reply, msg) {
		log.Fatalf("echo mismatch: sent %q, got %q", msg, reply)
	}
	conn.Close()
}

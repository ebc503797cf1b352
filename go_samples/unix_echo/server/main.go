// unix-echo server: a stream socket on a filesystem path; accept one client,
// echo what it reads, close, and say whether the path outlived the socket.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net"
	"os"
)

func main() {
	// bind(2) creates this file and connect(2) finds the listener by it.
	path := os.Args[1]
	// Close removes the file (below), but a crashed run never gets there, and
	// bind fails with "address already in use" on a leftover: clear it first.
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Fatal(err)
	}
	ln, err := net.Listen("unix", path)
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
	// A listener that net.Listen created unlinks its file on Close (see
	// (*UnixListener).SetUnlinkOnClose): the path goes with the socket.
	ln.Close()
	if _, err := os.Stat(path); err == nil {
		fmt.Println("after close:", path, "is still there")
	} else {
		fmt.Println("after close:", path, "is gone")
	}
}

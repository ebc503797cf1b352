// backlog server: listen with a backlog of 2, never accept, and hold the
// socket open until stdin closes, so that the accept queue fills up.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"syscall"
)

const backlog = 2

func main() {
	// net.Listen takes no backlog: it passes the kernel's limit
	// (/proc/sys/net/core/somaxconn) to listen(2).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	// Calling listen(2) again on a listening socket only changes its backlog,
	// so the syscall package sets the small one on the listener's own fd.
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		log.Fatal(err)
	}
	var listenErr error
	if err := raw.Control(func(fd uintptr) { listenErr = syscall.Listen(int(fd), backlog) }); err != nil {
		log.Fatal(err)
	}
	if listenErr != nil {
		log.Fatal("listen: ", listenErr)
	}
	// The runner waits for this line before it starts the client.
	fmt.Println("ready", ln.Addr())

	// Never accept: completed connections stay in the kernel's accept queue.
	// The runner closes stdin once the client is done.
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		log.Fatal(err)
	}
	ln.Close()
}

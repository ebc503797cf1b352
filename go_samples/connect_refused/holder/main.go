// connect-refused holder: own a loopback port without listening on it, so that
// connections to it are refused, and keep it until stdin closes.
//
// A bound socket that never called listen(2) has no accept queue: the kernel
// answers a SYN to its port with a reset, and the port stays ours, so no other
// program can start listening there while the client tries it.
package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"syscall"
)

func main() {
	// The net package only binds as part of Listen (or Dial), so binding
	// without listening takes the syscall package.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		log.Fatal("socket: ", err)
	}
	// Port 0: the kernel picks a free one.
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		log.Fatal("bind: ", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		log.Fatal("getsockname: ", err)
	}
	// The runner waits for this line before it starts the client.
	fmt.Printf("ready 127.0.0.1:%d\n", sa.(*syscall.SockaddrInet4).Port)

	// Hold the port until the runner closes our stdin (the client is done).
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		log.Fatal(err)
	}
	syscall.Close(fd)
}

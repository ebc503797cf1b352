// udp-echo server: receive one datagram, send it back to whoever sent it, close.
package main

import (
	"fmt"
	"log"
	"net"
)

func main() {
	// ListenPacket is UDP's "listen": it only binds. There is no listen(2)
	// and no accept(2): one socket receives from every peer.
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	// The runner waits for this line before it starts the client.
	fmt.Println("ready", conn.LocalAddr())

	buf := make([]byte, 1024)
	// Each datagram arrives whole, with the address it came from: the reply
	// goes back to that address.
	n, peer, err := conn.ReadFrom(buf)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := conn.WriteTo(buf[:n], peer); err != nil {
		log.Fatal(err)
	}
	conn.Close()
}

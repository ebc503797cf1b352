// dns-lookup resolver: look "localhost" up the way net.LookupHost does, and
// print the addresses. Built with CGO_ENABLED=0, so this is Go's own resolver
// (no C library): it reads /etc/nsswitch.conf and /etc/hosts itself.
package main

import (
	"fmt"
	"log"
	"net"
	"strings"
)

func main() {
	addrs, err := net.LookupHost("localhost")
	if err != nil {
		log.Fatal(err)
	}
	if len(addrs) == 0 {
		log.Fatal("localhost resolved to no address")
	}
	fmt.Println("localhost", strings.Join(addrs, " "))
}

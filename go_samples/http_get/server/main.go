// http-get server: serve one GET with net/http, then shut down.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync"
)

func main() {
	// Listening first, then serving on that listener, lets the program print
	// the port the kernel chose before any request can come in.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan struct{})
	var once sync.Once
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello, kernel")
		once.Do(func() { close(served) })
	})}
	go func() {
		// Serve runs its accept loop until Shutdown, which makes it return this error.
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	// The runner waits for this line before it starts the client.
	fmt.Println("ready", ln.Addr())

	<-served
	// Shutdown closes the listener, lets the response finish, then closes
	// the connection once it is idle.
	if err := srv.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
}

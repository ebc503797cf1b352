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
	closed := make(chan struct{})
	var once sync.Once
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "hello, kernel")
		}),
		// Shut down only once the connection is closed, so that the listener's
		// close never races with the connection's (they run in two goroutines).
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateClosed {
				once.Do(func() { close(closed) })
			}
		},
	}
	// One request per connection, as Python's http.server does: the server
	// closes the connection itself after the response, so that closing never
	// races with Shutdown or with the process's exit.
	srv.SetKeepAlivesEnabled(false)
	go func() {
		// Serve runs its accept loop until Shutdown, which makes it return this error.
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	// The runner waits for this line before it starts the client.
	fmt.Println("ready", ln.Addr())

	<-closed
	// Shutdown closes the listener and returns once no connection is left.
	if err := srv.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
}

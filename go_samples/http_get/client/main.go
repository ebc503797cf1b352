// http-get client: GET / with net/http, check the answer, close.
package main

import (
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	resp, err := http.Get("http://" + os.Args[1] + "/")
	if err != nil {
		log.Fatal(err)
	}
	// Reading the body to its end and closing it is what lets the transport
	// keep or release the connection.
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		log.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != "hello, kernel\n" {
		log.Fatalf("unexpected answer: %s %q", resp.Status, body)
	}
	// The transport keeps the connection for reuse; close it before exiting.
	http.DefaultClient.CloseIdleConnections()
}

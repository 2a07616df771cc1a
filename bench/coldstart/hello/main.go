// Command hello is the cold-start reference with nothing in it: a Go
// net/http server that answers GET / on 127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT.
// No Go custom handler can start faster on the same machine.
package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("GET /", func(http.ResponseWriter, *http.Request) {})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("FUNCTIONS_CUSTOMHANDLER_PORT"), nil); err != nil {
		os.Exit(1)
	}
}

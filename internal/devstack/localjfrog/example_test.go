package localjfrog_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/frogbridge/frogbridge/internal/devstack/localjfrog"
	"github.com/rs/zerolog"
)

// ExampleNew starts the local JFrog Platform, creates a Machine Learning
// repository with the admin token and deploys a file.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "jfrog-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	// devstack serves the handler over TLS; plain HTTP keeps the example short.
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	s, err := localjfrog.New(localjfrog.Options{DataDir: dir, BaseURL: base, Logger: zerolog.Nop()})
	if err != nil {
		panic(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	defer srv.Close()

	call := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+s.AdminToken())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		fmt.Println(method, path, resp.StatusCode)
	}
	call("PUT", "/artifactory/api/repositories/ml-local", `{"rclass":"local","packageType":"machinelearning"}`)
	call("PUT", "/artifactory/ml-local/notes/readme.txt", "hello")
	call("GET", "/artifactory/api/storage/ml-local/notes/readme.txt", "")
	// Output:
	// PUT /artifactory/api/repositories/ml-local 200
	// PUT /artifactory/ml-local/notes/readme.txt 201
	// GET /artifactory/api/storage/ml-local/notes/readme.txt 200
}

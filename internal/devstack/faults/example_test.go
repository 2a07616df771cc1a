package faults_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/frogbridge/frogbridge/internal/devstack/faults"
)

func ExampleRegistry_Wrap() {
	reg := faults.New()
	vault := httptest.NewServer(reg.Wrap("keyvault", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})))
	defer vault.Close()

	f, _ := faults.ParseFault([]byte(`{"service":"keyvault","method":"GET","path":"/secrets/","action":"status","status":429,"retry_after":"1","times":1}`))
	reg.Add(f)
	for i := 0; i < 2; i++ {
		resp, err := http.Get(vault.URL + "/secrets/jfrog-token")
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Output:
	// 429 1
	// 200
}

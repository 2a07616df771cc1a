package main

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/frogbridge/frogbridge/internal/devstack/azurite"
)

// storageProxy fronts Azurite so that faults can be injected into host
// storage (service "storage"), as into the in-process services. Requests
// and answers pass through unchanged.
func (s *stack) storageProxy() http.Handler {
	target, _ := url.Parse(s.azurite.BlobURL())
	target.Path = ""
	p := httputil.NewSingleHostReverseProxy(target)
	p.Transport = s.ca.HTTPClient(5 * time.Minute).Transport
	return p
}

// storageConnectionString is the host storage connection string through
// the proxy: the well-known development account of Azurite.
func (s *stack) storageConnectionString() string {
	endpoint := s.url(slotStorage, "https") + "/" + azurite.AccountName
	return fmt.Sprintf("DefaultEndpointsProtocol=https;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
		azurite.AccountName, azurite.AccountKey, endpoint)
}

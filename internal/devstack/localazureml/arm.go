package localazureml

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Supported api-version values (same Command-job shape).
var apiVersions = []string{"2025-09-01", "2025-12-01"}

// Resource provider and types.
const (
	provider      = "Microsoft.MachineLearningServices"
	typeJob       = provider + "/workspaces/jobs"
	typeEnvVer    = provider + "/workspaces/environments/versions"
	typeConn      = provider + "/workspaces/connections"
	typeDatastore = provider + "/workspaces/datastores"
	typeDataVer   = provider + "/workspaces/data/versions"
	// maxRequestBody bounds a request body.
	maxRequestBody = 1 << 20
)

// armError is ARM's error response body.
type armError struct {
	Error armErrorDetail `json:"error"`
}

type armErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers with ARM's error shape.
func writeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, armError{Error: armErrorDetail{Code: code, Message: fmt.Sprintf(format, args...)}})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode reply", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// checkAPIVersion answers 400 like ARM when api-version is missing or not
// supported and reports whether the request may proceed.
func checkAPIVersion(w http.ResponseWriter, r *http.Request) bool {
	v := r.URL.Query().Get("api-version")
	if v == "" {
		writeError(w, http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
		return false
	}
	for _, ok := range apiVersions {
		if v == ok {
			return true
		}
	}
	writeError(w, http.StatusBadRequest, "InvalidApiVersionParameter",
		"The api-version '%s' is invalid. The supported versions are '%s'.", clip(v, 40), strings.Join(apiVersions, ","))
	return false
}

// decodeBody reads a bounded JSON request body into v, answering 400 on
// failure.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content could not be read.")
		return false
	}
	if len(b) > maxRequestBody {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request content is larger than %d bytes.", maxRequestBody)
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: %s", clip(err.Error(), 200))
		return false
	}
	return true
}

// notFound answers ARM's 404 for a child resource.
func notFound(w http.ResponseWriter, rg, kind, name string) {
	writeError(w, http.StatusNotFound, "ResourceNotFound",
		"The Resource '%s/%s' under resource group '%s' was not found.", kind, clip(name, 100), rg)
}

// userError answers AzureML's 400 for invalid content.
func userError(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, "UserError", format, args...)
}

// clip bounds text echoed back from a request.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// newID returns a random hex identifier of 2n characters.
func newID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("azureml: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}

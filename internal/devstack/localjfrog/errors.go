package localjfrog

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// apiError is one item of JFrog's {"errors":[...]} body. Artifactory fills
// status and message; Access adds a code.
type apiError struct {
	Status  int    `json:"status"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

type errorBody struct {
	Errors []apiError `json:"errors"`
}

// accessCodes are the codes JFrog Access puts beside the message.
var accessCodes = map[int]string{
	http.StatusBadRequest:          "BAD_REQUEST",
	http.StatusUnauthorized:        "UNAUTHORIZED",
	http.StatusForbidden:           "FORBIDDEN",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusConflict:            "CONFLICT",
	http.StatusInternalServerError: "INTERNAL_SERVER_ERROR",
}

// writeError answers with JFrog's error shape. HEAD requests get the status
// only.
func writeError(w http.ResponseWriter, r *http.Request, status int, message string) {
	body := errorBody{Errors: []apiError{{Status: status, Message: message}}}
	if strings.HasPrefix(r.URL.Path, "/access/") {
		body.Errors[0].Code = accessCodes[status]
	}
	if status == http.StatusUnauthorized && strings.HasPrefix(r.URL.Path, "/artifactory/") {
		w.Header().Set("WWW-Authenticate", `Basic realm="Artifactory Realm"`)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, "application/json", body)
}

// writeJSON encodes v with the given status and content type.
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// internalError logs err and answers 500 without exposing details.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error().Err(err).Str("method", r.Method).Str("path", r.URL.Path).Msg("request failed")
	writeError(w, r, http.StatusInternalServerError, "Internal server error; see the devstack log")
}

// errForbidden aborts a state update that the caller may not make.
var errForbidden = errors.New("forbidden")

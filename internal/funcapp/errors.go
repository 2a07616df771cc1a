package funcapp

import (
	"encoding/json"
	"net/http"

	"github.com/frogbridge/frogbridge/internal/redact"
)

// ErrorBody is the JSON body of every error the suite's HTTP functions send.
type ErrorBody struct {
	Error   string `json:"error"`
	Details string `json:"details"`
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error","details":"response could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// WriteError writes {"error": msg, "details": details} with the given
// status. details pass through redact.String: an error body never carries a
// token, key or password, whatever error text it quotes.
func WriteError(w http.ResponseWriter, status int, msg, details string) {
	WriteJSON(w, status, ErrorBody{Error: msg, Details: redact.String(details)})
}

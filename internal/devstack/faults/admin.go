package faults

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// maxFaultBody bounds the admin API's request body.
const maxFaultBody = 64 << 10

// AdminHandler serves the admin API under /faults:
//
//	POST   /faults       arm a fault (JSON Fault), 201 with the armed fault
//	GET    /faults       list armed faults
//	DELETE /faults       disarm all, 204
//	DELETE /faults/{id}  disarm one, 204 or 404
func (r *Registry) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(io.LimitReader(req.Body, maxFaultBody))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "read body: " + err.Error()})
			return
		}
		f, err := ParseFault(b)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f, err = r.Add(f)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusCreated, f)
	})
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, map[string][]Fault{"faults": r.List()})
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, req *http.Request) {
		r.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /faults/{id}", func(w http.ResponseWriter, req *http.Request) {
		id, err := strconv.Atoi(req.PathValue("id"))
		if err != nil || !r.Remove(id) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no armed fault with id " + req.PathValue("id")})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Registry holds the armed faults. A Registry is safe for concurrent use;
// the zero value is not, use New.
type Registry struct {
	mu     sync.Mutex
	nextID int
	faults []*Fault
}

// New returns an empty registry.
func New() *Registry { return &Registry{nextID: 1} }

// Add arms f (validated as ParseFault does) and returns it with its id.
func (r *Registry) Add(f Fault) (Fault, error) {
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	f.ID = r.nextID
	r.nextID++
	f.Remaining = f.Times
	r.faults = append(r.faults, &f)
	return f, nil
}

// List returns the armed faults in the order they were added.
func (r *Registry) List() []Fault {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Fault, 0, len(r.faults))
	for _, f := range r.faults {
		out = append(out, *f)
	}
	return out
}

// Clear disarms every fault.
func (r *Registry) Clear() {
	r.mu.Lock()
	r.faults = nil
	r.mu.Unlock()
}

// Remove disarms the fault with the given id and reports whether it existed.
func (r *Registry) Remove(id int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, f := range r.faults {
		if f.ID == id {
			r.faults = append(r.faults[:i], r.faults[i+1:]...)
			return true
		}
	}
	return false
}

// take returns the first fault matching the request and consumes one of its
// uses; a fault whose uses run out is removed.
func (r *Registry) take(service string, req *http.Request) (Fault, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, f := range r.faults {
		if !f.matches(service, req) {
			continue
		}
		hit := *f
		if f.Times > 0 {
			f.Remaining--
			if f.Remaining <= 0 {
				r.faults = append(r.faults[:i], r.faults[i+1:]...)
			}
		}
		return hit, true
	}
	return Fault{}, false
}

// Wrap returns next with the faults armed for service applied in front of it.
func (r *Registry) Wrap(service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		f, ok := r.take(service, req)
		if !ok {
			next.ServeHTTP(w, req)
			return
		}
		switch f.Action {
		case ActionStatus:
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			body := f.Body
			if body == "" {
				b, _ := json.Marshal(map[string]any{"error": map[string]string{
					"code":    "InjectedFault",
					"message": "devstack fault injection answered " + strconv.Itoa(f.Status),
				}})
				body = string(b)
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.Status)
			io.WriteString(w, body)
		case ActionBody:
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.Status)
			io.WriteString(w, f.Body)
		case ActionStall:
			t := time.NewTimer(f.delay)
			select {
			case <-t.C:
				next.ServeHTTP(w, req)
			case <-req.Context().Done():
				t.Stop()
			}
		case ActionLate:
			body, err := io.ReadAll(req.Body)
			if err != nil {
				panic(http.ErrAbortHandler)
			}
			late := req.Clone(context.WithoutCancel(req.Context()))
			late.Body = io.NopCloser(bytes.NewReader(body))
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.Status)
			b, _ := json.Marshal(map[string]any{"error": map[string]string{
				"code":    "InjectedFault",
				"message": "devstack fault injection answered " + strconv.Itoa(f.Status) + "; the request is served later",
			}})
			w.Write(b)
			time.AfterFunc(f.delay, func() { next.ServeHTTP(discard{}, late) })
		case ActionDrop:
			// ErrAbortHandler makes net/http close the connection (HTTP/1)
			// or reset the stream (HTTP/2) without writing a response.
			panic(http.ErrAbortHandler)
		}
	})
}

// discard is the ResponseWriter of a late request: its answer goes nowhere.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

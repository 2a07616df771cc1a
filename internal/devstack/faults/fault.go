// Package faults injects failures into the local stack's services for tests:
// an HTTP middleware that makes chosen routes answer a chosen status (with
// Retry-After), stall, drop the connection, return a malformed body or
// answer an error while the request still lands later, N
// times or until cleared, and the small admin API that arms and clears them.
package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Actions a fault can take.
const (
	ActionStatus = "status" // answer Status (default 503) with Retry-After when set
	ActionStall  = "stall"  // wait Delay (or until the client gives up), then serve normally
	ActionDrop   = "drop"   // close the connection without an answer
	ActionBody   = "body"   // answer Status (default 200) with Body as the response body
	// ActionLate answers Status (default 503) at once and serves the
	// request Delay later anyway, its answer discarded: a write that lands
	// after the client was told it failed.
	ActionLate = "late"
)

// Services whose handlers can be wrapped.
var Services = []string{"keyvault", "entra", "jfrog", "azureml", "storage"}

// maxDelay bounds a stall so a forgotten fault cannot hold a request forever.
const maxDelay = 10 * time.Minute

// Fault is one armed failure. The zero Method matches every method; Path is
// a prefix of the request path; Times 0 means until cleared.
type Fault struct {
	ID         int    `json:"id,omitempty"`
	Service    string `json:"service"`
	Method     string `json:"method,omitempty"`
	Path       string `json:"path,omitempty"`
	Action     string `json:"action"`
	Status     int    `json:"status,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
	Delay      string `json:"delay,omitempty"`
	Body       string `json:"body,omitempty"`
	Times      int    `json:"times,omitempty"`
	// Remaining counts the matches left when Times > 0 (read-only).
	Remaining int `json:"remaining,omitempty"`

	delay time.Duration
}

// ParseFault decodes and validates one fault from the admin API's JSON.
func ParseFault(data []byte) (Fault, error) {
	var f Fault
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Fault{}, fmt.Errorf("decode fault: %w", err)
	}
	if dec.More() {
		return Fault{}, errors.New("decode fault: trailing data after the JSON object")
	}
	f.ID, f.Remaining = 0, 0
	if err := f.validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

func (f *Fault) validate() error {
	var problems []string
	if !knownService(f.Service) {
		problems = append(problems, fmt.Sprintf("service %q is not one of %s", f.Service, strings.Join(Services, ", ")))
	}
	f.Method = strings.ToUpper(f.Method)
	if f.Path != "" && !strings.HasPrefix(f.Path, "/") {
		problems = append(problems, fmt.Sprintf("path %q must start with /", f.Path))
	}
	if f.Times < 0 {
		problems = append(problems, "times must be 0 (until cleared) or more")
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		problems = append(problems, fmt.Sprintf("status %d is not an HTTP status", f.Status))
	}
	if f.RetryAfter != "" {
		if _, err := strconv.Atoi(f.RetryAfter); err != nil {
			if _, err := http.ParseTime(f.RetryAfter); err != nil {
				problems = append(problems, fmt.Sprintf("retry_after %q is neither seconds nor an HTTP date", f.RetryAfter))
			}
		}
	}
	if f.Delay != "" {
		d, err := time.ParseDuration(f.Delay)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("delay %q is not a Go duration such as 5s", f.Delay))
		case d < 0 || d > maxDelay:
			problems = append(problems, fmt.Sprintf("delay %s must be between 0 and %s", d, maxDelay))
		default:
			f.delay = d
		}
	}
	switch f.Action {
	case ActionStatus:
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
	case ActionBody:
		if f.Status == 0 {
			f.Status = http.StatusOK
		}
	case ActionStall:
		if f.Delay == "" {
			problems = append(problems, "a stall needs a delay such as 5s")
		}
	case ActionLate:
		if f.Status == 0 {
			f.Status = http.StatusServiceUnavailable
		}
		if f.Delay == "" {
			problems = append(problems, "a late fault needs a delay such as 5s")
		}
	case ActionDrop:
	default:
		problems = append(problems, fmt.Sprintf("action %q is not one of status, stall, drop, body, late", f.Action))
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid fault: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (f *Fault) matches(service string, r *http.Request) bool {
	return f.Service == service &&
		(f.Method == "" || f.Method == r.Method) &&
		strings.HasPrefix(r.URL.Path, f.Path)
}

func knownService(s string) bool {
	for _, k := range Services {
		if s == k {
			return true
		}
	}
	return false
}

package main

import (
	"net/http"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/funcapp"
)

// answer is how our endpoints answer one kind of failure.
type answer struct {
	status int
	// title is the "error" of the body on the job endpoints; the rotation
	// answers every failure as "rotation failed".
	title string
}

// answers maps every failure kind to our HTTP status and error title: the
// one place that decides them (README: token rotation and AzureML jobs).
// An upstream failure is our 502, with the upstream status in details.
var answers = map[errkind.Kind]answer{
	errkind.Invalid:        {http.StatusBadRequest, "invalid request"},
	errkind.Authentication: {http.StatusUnauthorized, "authentication failed"},
	errkind.Forbidden:      {http.StatusForbidden, "forbidden"},
	errkind.NotFound:       {http.StatusNotFound, "job not found"},
	errkind.Locked:         {http.StatusConflict, "locked"},
	errkind.Upstream:       {http.StatusBadGateway, "upstream failure"},
	errkind.Config:         {http.StatusServiceUnavailable, "not configured"},
	errkind.Timeout:        {http.StatusGatewayTimeout, "timeout"},
	errkind.RateLimited:    {http.StatusTooManyRequests, "too many requests"},
	errkind.Internal:       {http.StatusInternalServerError, "internal error"},
}

// answerFor returns the answer to err by its kind (errkind.Of).
func answerFor(err error) answer {
	if a, ok := answers[errkind.Of(err)]; ok {
		return a
	}
	return answers[errkind.Internal]
}

// writeFailure answers a failed call with {"error","details"}: the status
// and title from err's kind (title, when not empty, replaces the kind's),
// details err's text (funcapp.WriteError redacts it). It returns the status
// it sent.
func writeFailure(w http.ResponseWriter, title string, err error) int {
	a := answerFor(err)
	if title == "" {
		title = a.title
	}
	funcapp.WriteError(w, a.status, title, err.Error())
	return a.status
}

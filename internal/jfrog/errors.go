package jfrog

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/upstream"
)

// Service names the JFrog Platform in a *upstream.ResponseError.
const Service = "jfrog"

// maxErrorBody bounds how much of an error reply is read.
const maxErrorBody = 64 << 10

// Lengths of the upstream code and message kept in an error.
const (
	maxCode    = 40
	maxMessage = 300
)

// SettingNames are the caller's names for the settings the client's fix
// hints point at, so that each binary names its own; an empty name gives
// neutral wording.
type SettingNames struct {
	// PlatformURL is the JFrog Platform URL or host setting
	// (ARTIFACTORY_URL in the handler, ARTIFACTORY_HOST in the trainer).
	PlatformURL string
	// OIDCProvider is the OIDC integration name setting.
	OIDCProvider string
	// Audience is the Entra ID token audience setting.
	Audience string
	// MLRepo is the Machine Learning repository setting.
	MLRepo string
}

// newResponseError is the single place that turns a non-2xx reply into a
// *upstream.ResponseError. It reads (a bounded part of) the body but does
// not close it; hint, when non-nil, gives the fix for the status.
func newResponseError(resp *http.Response, hint func(int) string) *upstream.ResponseError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	code, msg := parseErrorBody(body)
	e := upstream.New(Service, resp, code, msg)
	if hint != nil {
		e.Fix = hint(resp.StatusCode)
	}
	return e
}

// errorBody is the tolerant shape of JFrog error replies:
// {"errors":[{"status":401,"code":"…","message":"…","detail":"…"}]} or a
// single {"code","message","detail"} object.
type errorBody struct {
	Errors  []errorItem `json:"errors"`
	Code    any         `json:"code"`
	Message string      `json:"message"`
	Detail  string      `json:"detail"`
	Error   string      `json:"error"`
}

type errorItem struct {
	Status  any    `json:"status"`
	Code    any    `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

// parseErrorBody extracts an error code and a cleaned, bounded message from
// a JFrog error reply. A body that is not JSON yields no message: raw
// upstream text is never passed on.
func parseErrorBody(body []byte) (code, message string) {
	var eb errorBody
	if len(body) == 0 || json.Unmarshal(body, &eb) != nil {
		return "", ""
	}
	var msgs []string
	add := func(c any, m, d string) {
		if code == "" {
			code = codeString(c)
		}
		for _, s := range []string{m, d} {
			if s = strings.TrimSpace(s); s != "" {
				msgs = append(msgs, s)
			}
		}
	}
	for _, it := range eb.Errors {
		add(it.Code, it.Message, it.Detail)
	}
	add(eb.Code, eb.Message, eb.Detail)
	if eb.Error != "" {
		msgs = append(msgs, eb.Error)
	}
	return upstream.Clean(code, maxCode), upstream.Clean(strings.Join(msgs, "; "), maxMessage)
}

// codeString renders a JSON code that may be a string or a number.
func codeString(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64)
	}
	return ""
}

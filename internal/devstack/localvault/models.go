package localvault

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// recoveryLevel and retention describe the vault's soft-delete setting, as
// a vault created with the defaults (90 days, purge allowed) reports them.
const (
	recoveryLevel   = "Recoverable+Purgeable"
	recoverableDays = 90
)

// maxValueBytes is Key Vault's limit on a secret value.
const maxValueBytes = 25 * 1024

type attributesJSON struct {
	Enabled         *bool  `json:"enabled,omitempty"`
	NotBefore       *int64 `json:"nbf,omitempty"`
	Expires         *int64 `json:"exp,omitempty"`
	Created         int64  `json:"created"`
	Updated         int64  `json:"updated"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays int    `json:"recoverableDays"`
}

type bundleJSON struct {
	Value       *string           `json:"value,omitempty"`
	ContentType *string           `json:"contentType,omitempty"`
	ID          string            `json:"id"`
	Attributes  attributesJSON    `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Deleted-secret fields.
	RecoveryID         string `json:"recoveryId,omitempty"`
	DeletedDate        int64  `json:"deletedDate,omitempty"`
	ScheduledPurgeDate int64  `json:"scheduledPurgeDate,omitempty"`
}

type itemJSON struct {
	ID          string            `json:"id"`
	ContentType *string           `json:"contentType,omitempty"`
	Attributes  attributesJSON    `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
}

type listJSON struct {
	Value    []itemJSON `json:"value"`
	NextLink *string    `json:"nextLink"`
}

// setParams is the body of a set (PUT) request.
type setParams struct {
	Value       *string           `json:"value"`
	ContentType *string           `json:"contentType"`
	Tags        map[string]string `json:"tags"`
	Attributes  *inAttributes     `json:"attributes"`
}

// updateParams is the body of an update (PATCH) request.
type updateParams struct {
	ContentType *string           `json:"contentType"`
	Tags        map[string]string `json:"tags"`
	Attributes  *inAttributes     `json:"attributes"`
}

type inAttributes struct {
	Enabled   *bool  `json:"enabled"`
	NotBefore *int64 `json:"nbf"`
	Expires   *int64 `json:"exp"`
}

// parseSet decodes and validates a set request body.
func parseSet(body []byte) (setParams, error) {
	var p setParams
	if err := json.Unmarshal(body, &p); err != nil {
		return setParams{}, fmt.Errorf("the request body is not valid JSON: %w", err)
	}
	if p.Value == nil {
		return setParams{}, fmt.Errorf("the parameter value is required")
	}
	if len(*p.Value) > maxValueBytes {
		return setParams{}, fmt.Errorf("the secret value is %d bytes; the limit is %d", len(*p.Value), maxValueBytes)
	}
	if err := checkTags(p.Tags); err != nil {
		return setParams{}, err
	}
	return p, nil
}

// parseUpdate decodes and validates an update request body.
func parseUpdate(body []byte) (updateParams, error) {
	var p updateParams
	if err := json.Unmarshal(body, &p); err != nil {
		return updateParams{}, fmt.Errorf("the request body is not valid JSON: %w", err)
	}
	if err := checkTags(p.Tags); err != nil {
		return updateParams{}, err
	}
	return p, nil
}

func checkTags(tags map[string]string) error {
	if len(tags) > 15 {
		return fmt.Errorf("a secret may have at most 15 tags, got %d", len(tags))
	}
	for k, v := range tags {
		if len(k) > 512 || len(v) > 256 {
			return fmt.Errorf("tag %.40q is too long (names 512, values 256 characters)", k)
		}
	}
	return nil
}

// kvError is Key Vault's error body.
type kvError struct {
	Error kvErrorBody `json:"error"`
}

type kvErrorBody struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError *innerCode `json:"innererror,omitempty"`
}

type innerCode struct {
	Code string `json:"code"`
}

func writeError(w http.ResponseWriter, status int, code, inner, msg string) {
	body := kvError{Error: kvErrorBody{Code: code, Message: msg}}
	if inner != "" {
		body.Error.InnerError = &innerCode{Code: inner}
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("x-ms-keyvault-service-version", "1.9.0.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Package jobs submits the suite's AzureML jobs — training and
// deployment/inference — and reads their status and outputs. Request
// bodies are parsed and validated here, at the edge: every value ends up in
// a command line, a repository path or an ARM resource name, so each is
// matched against a strict pattern before anything is sent.
package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 64 << 10

// Patterns for the values that reach AzureML and Artifactory. Lengths are
// checked beside them (checkName), which keeps the patterns quick to compile.
var (
	// ModelNamePattern is frogml's rule for model names (1-60 characters).
	ModelNamePattern = lazyregexp.New(`^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$`)
	// VersionPattern is frogml's rule for versions (1-60 characters).
	VersionPattern = lazyregexp.New(`^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$`)
	// ImageTagPattern is the Docker tag grammar.
	ImageTagPattern = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	// ARMNamePattern covers experiment, compute and job names.
	ARMNamePattern = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	// JobNamePattern is the shape of a job name in GET /api/jobs/{name}.
	JobNamePattern = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	tagKeyPattern  = lazyregexp.New(`^[A-Za-z0-9_.:/-]+$`)
	columnPattern  = lazyregexp.New(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	maxFeatures    = lazyregexp.New(`^(sqrt|log2|all|[1-9][0-9]{0,5}|0?\.[0-9]{1,6})$`)
)

// ValidationError is a request the suite refuses; Field names the JSON
// field (or "body").
type ValidationError struct {
	Field   string
	Message string
}

// Error returns "FIELD: message".
func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// ErrorKind returns errkind.Invalid (see errkind.Of).
func (e *ValidationError) ErrorKind() errkind.Kind { return errkind.Invalid }

func invalid(field, format string, a ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, a...)}
}

// TrainingRequest is the body of POST /api/jobs/training. Every field is
// optional; defaults come from the app settings.
type TrainingRequest struct {
	ImageTag        string                     `json:"image_tag"`
	ModelName       string                     `json:"model_name"`
	ExperimentName  string                     `json:"experiment_name"`
	Compute         string                     `json:"compute"`
	DisplayName     string                     `json:"display_name"`
	Hyperparameters map[string]json.RawMessage `json:"hyperparameters"`
	Upload          *bool                      `json:"upload"`
	Tags            map[string]string          `json:"tags"`
	// InstanceCount is the number of AzureML instances (1 to
	// MaxInstanceCount, default 1); over one, the trainer grows the forest
	// on all of them (instances.go).
	InstanceCount *int `json:"instance_count"`
	// Data names the training data; nil trains the embedded Iris set.
	Data *DataRequest `json:"data"`

	// Instances is the validated InstanceCount.
	Instances int `json:"-"`
	// Args are the validated trainer flags from Hyperparameters, sorted by
	// flag name, e.g. ["--n-estimators", "50"], followed by the data flags
	// (see DataRequest).
	Args []string `json:"-"`
	// Input is the AzureML job input the data flags refer to as
	// ${{inputs.data}}; nil unless Data names a uri or an asset.
	Input *DataInput `json:"-"`
}

// DeploymentRequest is the body of POST /api/jobs/deployment.
type DeploymentRequest struct {
	ModelName      string            `json:"model_name"`
	ModelVersion   string            `json:"model_version"`
	ImageTag       string            `json:"image_tag"`
	ExperimentName string            `json:"experiment_name"`
	Compute        string            `json:"compute"`
	DisplayName    string            `json:"display_name"`
	Tags           map[string]string `json:"tags"`
}

// decodeStrict reads one JSON object from r: bounded, unknown fields
// rejected, nothing after it.
func decodeStrict(r io.Reader, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return invalid("body", "cannot be read: %v", err)
	}
	if len(b) > MaxBodyBytes {
		return invalid("body", "larger than %d bytes", MaxBodyBytes)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}")
	}
	if t := bytes.TrimSpace(b); t[0] != '{' {
		return invalid("body", "must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var ve *ValidationError
		switch {
		case errors.As(err, &ve):
			return ve // from a nested object's own strict decoding (DataRequest)
		case errors.As(err, &syn):
			return invalid("body", "is not valid JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			return invalid(typ.Field, "must be a JSON %s", typ.Type.String())
		default:
			return invalid("body", "%v", err)
		}
	}
	if dec.More() {
		return invalid("body", "has data after the JSON object")
	}
	if name, ok := unknownMember(b, v); ok {
		if name == "" {
			return invalid("body", "has a member with an empty name")
		}
		return invalid(name, "is not a known field")
	}
	return nil
}

// unknownMember returns the first member of the JSON object b that names
// no field of the struct v points to, and whether there is one. Names
// match case-insensitively, as encoding/json matches them. encoding/json's
// DisallowUnknownFields reports an unknown member only as text, so the
// members are walked here instead. b has been decoded into v already.
func unknownMember(b []byte, v any) (string, bool) {
	t := reflect.TypeOf(v).Elem()
	var known []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		known = append(known, name)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // the opening {
		return "", false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		key, _ := tok.(string)
		if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, key) }) {
			return key, true
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}

// ParseTrainingRequest decodes and validates a training request.
func ParseTrainingRequest(r io.Reader) (*TrainingRequest, error) {
	var req TrainingRequest
	if err := decodeStrict(r, &req); err != nil {
		return nil, err
	}
	if err := validateCommon(req.ImageTag, req.ExperimentName, req.Compute, req.DisplayName, req.Tags); err != nil {
		return nil, err
	}
	if err := checkName("model_name", req.ModelName, ModelNamePattern, 60); err != nil {
		return nil, err
	}
	args, err := hyperparameterArgs(req.Hyperparameters)
	if err != nil {
		return nil, err
	}
	if req.Data != nil {
		dataArgs, input, err := req.Data.parse(req.Hyperparameters)
		if err != nil {
			return nil, err
		}
		args = append(args, dataArgs...)
		req.Input = input
	}
	req.Args = args
	if req.Instances, err = validateInstances(req.InstanceCount, args); err != nil {
		return nil, err
	}
	return &req, nil
}

// ParseDeploymentRequest decodes and validates a deployment request.
// model_name is required; model_version defaults to "latest".
func ParseDeploymentRequest(r io.Reader) (*DeploymentRequest, error) {
	var req DeploymentRequest
	if err := decodeStrict(r, &req); err != nil {
		return nil, err
	}
	if err := validateCommon(req.ImageTag, req.ExperimentName, req.Compute, req.DisplayName, req.Tags); err != nil {
		return nil, err
	}
	if req.ModelName == "" {
		return nil, invalid("model_name", "is required")
	}
	if err := checkName("model_name", req.ModelName, ModelNamePattern, 60); err != nil {
		return nil, err
	}
	if req.ModelVersion == "" {
		req.ModelVersion = "latest"
	}
	if err := checkName("model_version", req.ModelVersion, VersionPattern, 60); err != nil {
		return nil, err
	}
	return &req, nil
}

func validateCommon(imageTag, experiment, compute, display string, tags map[string]string) error {
	if err := checkName("image_tag", imageTag, ImageTagPattern, 128); err != nil {
		return err
	}
	if err := checkName("experiment_name", experiment, ARMNamePattern, 254); err != nil {
		return err
	}
	if err := checkName("compute", compute, ARMNamePattern, 254); err != nil {
		return err
	}
	if len(display) > 256 || strings.ContainsAny(display, "\x00\r\n") {
		return invalid("display_name", "must be one line of at most 256 characters")
	}
	if len(tags) > 50 {
		return invalid("tags", "at most 50 tags")
	}
	for k, v := range tags {
		if len(k) > 128 || !tagKeyPattern.MatchString(k) {
			return invalid("tags", "key %q must be 1-128 letters, digits or _.:/-", k)
		}
		if len(v) > 256 || strings.ContainsAny(v, "\x00\r\n") {
			return invalid("tags", "value of %q must be one line of at most 256 characters", k)
		}
	}
	return nil
}

func checkName(field, v string, re *lazyregexp.Regexp, max int) error {
	if v == "" {
		return nil
	}
	if len(v) > max || !re.MatchString(v) {
		return invalid(field, "%q must match %s and be at most %d characters", v, re.String(), max)
	}
	return nil
}

// hyperparameter describes one trainer flag a request may set.
type hyperparameter struct {
	flag  string
	check func(raw json.RawMessage) (string, error)
}

var hyperparameters = map[string]hyperparameter{
	"model":            {"--model", enumValue("random_forest", "logistic_regression")},
	"n_estimators":     {"--n-estimators", intValue(1, 1000)},
	"max_depth":        {"--max-depth", intValue(0, 1000)},
	"min_samples_leaf": {"--min-samples-leaf", intValue(1, 100000)},
	"max_features":     {"--max-features", patternValue(maxFeatures)},
	"test_size":        {"--test-size", floatValue(0, 1, false)},
	"seed":             {"--seed", intValue(0, math.MaxInt32)},
	"workers":          {"--workers", intValue(0, 1024)},
	"c":                {"--c", floatValue(0, 1e6, false)},
	"max_iter":         {"--max-iter", intValue(1, 100000)},
	"label":            {"--label", patternValue(columnPattern)},
	"split_column":     {"--split-column", patternValue(columnPattern)},
}

// HyperparameterNames lists the accepted hyperparameters.
func HyperparameterNames() []string {
	names := make([]string, 0, len(hyperparameters))
	for k := range hyperparameters {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func hyperparameterArgs(hp map[string]json.RawMessage) ([]string, error) {
	names := make([]string, 0, len(hp))
	for k := range hp {
		names = append(names, k)
	}
	sort.Strings(names)
	var args []string
	for _, name := range names {
		key := strings.ReplaceAll(name, "-", "_")
		h, ok := hyperparameters[key]
		if !ok {
			return nil, invalid("hyperparameters."+name, "is not a trainer hyperparameter (accepted: %s)", strings.Join(HyperparameterNames(), ", "))
		}
		v, err := h.check(hp[name])
		if err != nil {
			return nil, invalid("hyperparameters."+name, "%v", err)
		}
		args = append(args, h.flag, v)
	}
	return args, nil
}

// scalar returns a JSON number or string as text.
func scalar(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		return n.String(), true
	}
	return "", false
}

func intValue(min, max int64) func(json.RawMessage) (string, error) {
	return func(raw json.RawMessage) (string, error) {
		s, ok := scalar(raw)
		n, err := strconv.ParseInt(s, 10, 64)
		if !ok || err != nil || n < min || n > max {
			return "", fmt.Errorf("must be a whole number from %d to %d", min, max)
		}
		return strconv.FormatInt(n, 10), nil
	}
}

func floatValue(min, max float64, inclusive bool) func(json.RawMessage) (string, error) {
	return func(raw json.RawMessage) (string, error) {
		s, ok := scalar(raw)
		f, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= min || f >= max && !inclusive || f > max {
			return "", fmt.Errorf("must be a number greater than %g and less than %g", min, max)
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	}
}

func enumValue(allowed ...string) func(json.RawMessage) (string, error) {
	return func(raw json.RawMessage) (string, error) {
		s, ok := scalar(raw)
		for _, a := range allowed {
			if ok && s == a {
				return s, nil
			}
		}
		return "", fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

func patternValue(re *lazyregexp.Regexp) func(json.RawMessage) (string, error) {
	return func(raw json.RawMessage) (string, error) {
		s, ok := scalar(raw)
		if !ok || len(s) > 64 || !re.MatchString(s) {
			return "", fmt.Errorf("must match %s and be at most 64 characters", re.String())
		}
		return s, nil
	}
}

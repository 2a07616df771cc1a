package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/azureml"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/lazyregexp"
)

// DataInputName is the name of the job input that carries a datastore URI or
// a data asset; the command refers to it as ${{inputs.data}}.
const DataInputName = jobspec.InputData

// flag returns the trainer flag name as it appears on the command line.
func flag(name string) string { return "--" + name }

// Limits of the data fields. The patterns below check the shape; these
// bound the length (see checkName for why lengths are not in the patterns).
const (
	maxDataRefLen     = 1024
	maxFeatureColumns = 1000
	maxColumnLen      = 64
)

// Patterns for the data fields. Every value ends up in the command line, so
// each allows only characters that need no quoting in a POSIX shell or in
// the local stack's word splitting: letters, digits and _ . = - / :.
var (
	// datastoreURIPattern is azureml://datastores/<datastore>/paths/<path>,
	// the short datastore URI form AzureML documents for job inputs; a
	// trailing / names a folder. Path segments start with a letter, digit
	// or _, so . and .. cannot appear.
	datastoreURIPattern = lazyregexp.New(`^azureml://datastores/[A-Za-z0-9_]+/paths/[A-Za-z0-9_][A-Za-z0-9_.=-]*(/[A-Za-z0-9_][A-Za-z0-9_.=-]*)*/?$`)
	// assetPattern is azureml:<name>:<version>, a data asset version of the
	// workspace; asset names and versions follow AzureML's asset name rule
	// (^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,254}$ in mfe.json, 2025-09-01), minus
	// what the shell would need quoted.
	assetPattern = lazyregexp.New(`^azureml:[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	// artifactoryPattern is <repo>/<path> to one file.
	artifactoryPattern = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.=-]*)+$`)
)

// DataRequest is the data field of a training request: exactly one of
// Dataset, URI, Asset or Artifactory, plus how to read it.
type DataRequest struct {
	// Dataset is a dataset version in the Artifactory ML repository.
	Dataset *DatasetRef `json:"dataset"`
	// URI is a datastore path, azureml://datastores/<ds>/paths/<path>; a
	// trailing / makes it a uri_folder input, else a uri_file input.
	URI string `json:"uri"`
	// Asset is a data asset version, azureml:<name>:<version>.
	Asset string `json:"asset"`
	// Artifactory is one file in an Artifactory repository, <repo>/<path>.
	Artifactory string `json:"artifactory"`
	// Type overrides the input type of URI or Asset: uri_file or
	// uri_folder. For URI it must agree with the trailing /; for Asset it
	// defaults to uri_file.
	Type string `json:"type"`

	// Label is the label column.
	Label string `json:"label"`
	// SplitColumn is a column holding train/test per row.
	SplitColumn string `json:"split_column"`
	// TestSize is the test fraction of a random split, in (0, 1).
	TestSize *float64 `json:"test_size"`
	// Features are the feature columns; empty means every other column.
	Features []string `json:"features"`
}

// DatasetRef names a dataset version in the ML repository.
type DatasetRef struct {
	Name string `json:"name"`
	// Version is a version or "latest" (the default).
	Version string `json:"version"`
}

// UnmarshalJSON decodes the data object strictly, as decodeStrict decodes
// the body: a member that names no field is refused naming it
// (data.<member>), and so is one of the dataset object.
func (d *DataRequest) UnmarshalJSON(b []byte) error {
	type plain DataRequest // without this method
	var p plain
	if err := strictObject(b, &p, "data"); err != nil {
		return err
	}
	*d = DataRequest(p)
	return nil
}

// UnmarshalJSON decodes the dataset object strictly.
func (r *DatasetRef) UnmarshalJSON(b []byte) error {
	type plain DatasetRef
	var p plain
	if err := strictObject(b, &p, "data.dataset"); err != nil {
		return err
	}
	*r = DatasetRef(p)
	return nil
}

// strictObject decodes the JSON object b into the struct v points to and
// refuses members that name no field, with errors naming field+"."+member.
func strictObject(b []byte, v any, field string) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return invalid(field, "must be a JSON object")
	}
	if err := json.Unmarshal(b, v); err != nil {
		var ve *ValidationError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ve):
			return ve
		case errors.As(err, &typ) && typ.Field != "":
			return invalid(field+"."+typ.Field, "must be a JSON %s", typ.Type.String())
		default:
			return invalid(field, "%v", err)
		}
	}
	if name, ok := unknownMember(b, v); ok {
		if name == "" {
			return invalid(field, "has a member with an empty name")
		}
		return invalid(field+"."+name, "is not a known field")
	}
	return nil
}

// DataInput is the AzureML job input a training job gets for a datastore URI
// or a data asset.
type DataInput struct {
	// Type is uri_file or uri_folder.
	Type azureml.InputType
	// URI is the datastore URI or azureml:<name>:<version>.
	URI string
}

// parse validates d and returns the trainer flags and the job input. hp are
// the request's hyperparameters: label, split_column and test_size may be
// set in one place only.
func (d *DataRequest) parse(hp map[string]json.RawMessage) ([]string, *DataInput, error) {
	var sources []string
	if d.Dataset != nil {
		sources = append(sources, "dataset")
	}
	for _, s := range []struct{ name, v string }{{"uri", d.URI}, {"asset", d.Asset}, {"artifactory", d.Artifactory}} {
		if s.v != "" {
			sources = append(sources, s.name)
		}
	}
	if len(sources) != 1 {
		return nil, nil, invalid("data", "set exactly one of dataset, uri, asset or artifactory (got %d: %s)", len(sources), strings.Join(sources, ", "))
	}
	var args []string
	var input *DataInput
	switch sources[0] {
	case "dataset":
		if d.Dataset.Name == "" {
			return nil, nil, invalid("data.dataset.name", "is required")
		}
		if err := checkName("data.dataset.name", d.Dataset.Name, ModelNamePattern, 60); err != nil {
			return nil, nil, err
		}
		v := d.Dataset.Version
		if v == "" {
			v = "latest"
		}
		if err := checkName("data.dataset.version", v, VersionPattern, 60); err != nil {
			return nil, nil, err
		}
		args = append(args, flag(jobspec.FlagDataset), d.Dataset.Name, flag(jobspec.FlagDatasetVersion), v)
	case "uri":
		if len(d.URI) > maxDataRefLen || !datastoreURIPattern.MatchString(d.URI) {
			return nil, nil, invalid("data.uri", "%q must be azureml://datastores/<datastore>/paths/<path> (letters, digits and _ . = - in each segment, a trailing / for a folder) of at most %d characters", clip(d.URI), maxDataRefLen)
		}
		t := azureml.InputURIFile
		if strings.HasSuffix(d.URI, "/") {
			t = azureml.InputURIFolder
		}
		if d.Type != "" && d.Type != string(t) {
			return nil, nil, invalid("data.type", "%q disagrees with the uri: a uri ending in / is a uri_folder, any other a uri_file", d.Type)
		}
		input = &DataInput{Type: t, URI: d.URI}
	case "asset":
		if len(d.Asset) > maxDataRefLen || !assetPattern.MatchString(d.Asset) {
			return nil, nil, invalid("data.asset", "%q must be azureml:<name>:<version> (letters, digits and _ . -) of at most %d characters", clip(d.Asset), maxDataRefLen)
		}
		t := azureml.InputURIFile
		switch d.Type {
		case "", string(azureml.InputURIFile):
		case string(azureml.InputURIFolder):
			t = azureml.InputURIFolder
		default:
			return nil, nil, invalid("data.type", "%q must be uri_file or uri_folder", clip(d.Type))
		}
		input = &DataInput{Type: t, URI: d.Asset}
	case "artifactory":
		if len(d.Artifactory) > maxDataRefLen || !artifactoryPattern.MatchString(d.Artifactory) {
			return nil, nil, invalid("data.artifactory", "%q must be <repo>/<path> to one file (letters, digits and _ . = - in each segment) of at most %d characters", clip(d.Artifactory), maxDataRefLen)
		}
		args = append(args, flag(jobspec.FlagArtifactory), d.Artifactory)
	}
	if d.Type != "" && input == nil {
		return nil, nil, invalid("data.type", "applies only to uri and asset")
	}
	if input != nil {
		args = append(args, flag(jobspec.FlagData), "${{inputs."+DataInputName+"}}", flag(jobspec.FlagDataRef), input.URI)
	}
	for _, c := range []struct{ field, flag, v string }{{"label", flag(jobspec.FlagLabel), d.Label}, {"split_column", flag(jobspec.FlagSplitColumn), d.SplitColumn}} {
		if c.v == "" {
			continue
		}
		if _, ok := hp[c.field]; ok {
			return nil, nil, invalid("data."+c.field, "is also set in hyperparameters.%s: set it once", c.field)
		}
		if len(c.v) > maxColumnLen || !columnPattern.MatchString(c.v) {
			return nil, nil, invalid("data."+c.field, "%q must match %s and be at most %d characters", clip(c.v), columnPattern.String(), maxColumnLen)
		}
		args = append(args, c.flag, c.v)
	}
	if d.TestSize != nil {
		if _, ok := hp["test_size"]; ok {
			return nil, nil, invalid("data.test_size", "is also set in hyperparameters.test_size: set it once")
		}
		if !(*d.TestSize > 0 && *d.TestSize < 1) {
			return nil, nil, invalid("data.test_size", "must be a number greater than 0 and less than 1")
		}
		args = append(args, flag(jobspec.FlagTestSize), strconv.FormatFloat(*d.TestSize, 'g', -1, 64))
	}
	if d.Features != nil {
		if len(d.Features) == 0 || len(d.Features) > maxFeatureColumns {
			return nil, nil, invalid("data.features", "must list 1 to %d columns (omit it for every column but the label and split column)", maxFeatureColumns)
		}
		seen := make(map[string]bool, len(d.Features))
		for _, f := range d.Features {
			if len(f) > maxColumnLen || !columnPattern.MatchString(f) {
				return nil, nil, invalid("data.features", "column %q must match %s and be at most %d characters", clip(f), columnPattern.String(), maxColumnLen)
			}
			if seen[f] {
				return nil, nil, invalid("data.features", "column %q is listed twice", f)
			}
			if f == d.Label {
				return nil, nil, invalid("data.features", "column %q is the label", f)
			}
			seen[f] = true
		}
		args = append(args, flag(jobspec.FlagFeatures), strings.Join(d.Features, ","))
	}
	return args, input, nil
}

// clip bounds a refused value quoted in an error message.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

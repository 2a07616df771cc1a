package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/secret"
)

// uploadedFiles are the files of a trained model version, in upload order
// (the ONNX model first, the file the serialization format describes).
var uploadedFiles = []string{jobspec.ONNXFile, jobspec.ModelFile, jobspec.MetricsFile, jobspec.MetadataFile}

// uploadArtifacts uploads model.onnx, model.json, metrics.json and
// metadata.json from outputDir as version of model modelName in the configured repository,
// with metrics, parameters and provenance as properties, prints the
// version's URL to stdout and returns it. The local files are only read.
func uploadArtifacts(ctx context.Context, e *env, outputDir, modelName, version string, stdout io.Writer) (versionURL string, err error) {
	files := make([]jfrog.ModelFile, len(uploadedFiles))
	for i, name := range uploadedFiles {
		files[i] = jfrog.ModelFile{Name: name, Path: filepath.Join(outputDir, name)}
	}
	props, err := uploadProperties(outputDir)
	if err != nil {
		return "", err
	}
	repo, err := connectModelRepo(e)
	if err != nil {
		return "", err
	}
	ref := jfrog.ModelRef{Repo: repo.repo, Name: modelName, Version: version}
	var res jfrog.UploadResult
	err = repo.do(ctx, func(ctx context.Context, tok secret.Token) error {
		var err error
		res, err = repo.client.UploadModelVersion(ctx, tok, ref, files, &jfrog.UploadOptions{SerializationFormat: serializationFormat, Properties: props})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("upload model %s version %s to repository %s: %w", modelName, version, ref.Repo, err)
	}
	fmt.Fprintf(stdout, "uploaded %s %s to %s (%d bytes sent, %d of %d files already stored)\nmodel version URL: %s\n",
		modelName, version, ref.Repo, res.BytesSent, res.ChecksumDeployed, len(files), res.URL)
	return res.URL, nil
}

// uploadProperties builds the version's properties from metrics.json and
// metadata.json: metrics, hyperparameters and provenance. Values are
// mapped onto the characters frogml allows in property values (others
// become '-'); metadata.json, uploaded with the model, keeps the exact
// values.
func uploadProperties(outputDir string) (map[string]string, error) {
	var metrics struct {
		Accuracy        float64 `json:"accuracy"`
		TrainingSamples int     `json:"training_samples"`
		TestSamples     int     `json:"test_samples"`
		Report          struct {
			MacroAvg struct {
				F1 float64 `json:"f1-score"`
			} `json:"macro avg"`
		} `json:"classification_report"`
	}
	if err := readJSONFile(filepath.Join(outputDir, jobspec.MetricsFile), &metrics); err != nil {
		return nil, err
	}
	var md jobspec.Metadata
	if err := readJSONFile(filepath.Join(outputDir, jobspec.MetadataFile), &md); err != nil {
		return nil, err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	props := map[string]string{
		"accuracy":         f(metrics.Accuracy),
		"macro_f1":         f(metrics.Report.MacroAvg.F1),
		"training_samples": strconv.Itoa(metrics.TrainingSamples),
		"test_samples":     strconv.Itoa(metrics.TestSamples),
		"model_type":       md.ModelType,
		"dataset":          md.Dataset,
		// frogml allows property values of at most 60 characters and a
		// SHA-256 in hex has 64 (internal/jfrog/mlrepo_names.go): the
		// properties carry the first 32 hex digits, enough to find a
		// version by its hash; the full digests are in metadata.json and
		// the manifest's checksums.
		"dataset_sha256_prefix": hashPrefix(md.DatasetSHA256),
		"model_sha256_prefix":   hashPrefix(md.ModelSHA256),
		"model_schema_version":  strconv.Itoa(md.ModelSchemaVersion),
		"seed":                  strconv.FormatUint(md.Seed, 10),
		"training_date":         md.TrainingDate,
		"trainer_version":       md.Trainer.Version,
		"trainer_commit":        md.Trainer.Commit,
		"go_version":            md.Trainer.GoVersion,
		"image":                 md.Image,
		"trained_by":            "frogbridge-trainer",
	}
	if src := md.DataSource; src != nil {
		for k, v := range map[string]string{
			"data_source": src.Kind, "data_ref": src.Ref, "data_dataset": src.Dataset, "data_dataset_version": src.DatasetVersion,
			"data_artifactory": src.Artifactory, "data_format": src.Format, "data_sha256_prefix": hashPrefix(src.SHA256), "data_rows": strconv.Itoa(src.Rows),
		} {
			props[k] = v
		}
	}
	if p := md.Hyperparameters.Forest; p != nil {
		props["n_estimators"] = strconv.Itoa(p.NEstimators)
		props["max_depth"] = strconv.Itoa(p.MaxDepth)
		props["min_samples_leaf"] = strconv.Itoa(p.MinSamplesLeaf)
		props["max_features"] = strconv.Itoa(p.MaxFeatures)
	}
	if p := md.Hyperparameters.Logistic; p != nil {
		props["C"] = f(p.C)
		props["max_iter"] = strconv.Itoa(p.MaxIter)
	}
	for k, v := range props {
		if v = propertyValue(v); v == "" {
			delete(props, k)
		} else {
			props[k] = v
		}
	}
	return props, nil
}

// hashPrefixLen is how many hex digits of a SHA-256 the properties carry.
const hashPrefixLen = 32

// hashPrefix returns the first hashPrefixLen characters of a hex digest.
func hashPrefix(hex string) string {
	if len(hex) > hashPrefixLen {
		return hex[:hashPrefixLen]
	}
	return hex
}

// propertyValue maps s onto frogml's property value rule: letters, digits,
// '_' and '-' (others become '-') with single '.' or '/' between them (a
// run of separators keeps its first), at most 60 characters. It returns ""
// when nothing legal is left or the value is longer than frogml allows.
func propertyValue(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		sep := c == '.' || c == '/'
		switch {
		case sep && (len(b) == 0 || b[len(b)-1] == '.' || b[len(b)-1] == '/'):
			continue
		case sep || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-':
			b = append(b, c)
		default:
			b = append(b, '-')
		}
	}
	out := strings.TrimRight(string(b), "./")
	if jfrog.ValidateProperty("k", out) != nil {
		return ""
	}
	return out
}

// readJSONFile decodes a JSON file written by trainer train.
func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s (written by trainer train): %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s is not valid JSON: %w", path, err)
	}
	return nil
}

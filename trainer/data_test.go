package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/dataset/datasettest"
	"github.com/frogbridge/frogbridge/internal/jfrog"
	"github.com/frogbridge/frogbridge/internal/jobspec"
	"github.com/frogbridge/frogbridge/internal/ml"
)

// irisColumns is the embedded Iris set as Parquet columns.
func irisParquet(t *testing.T, lo, hi int) []byte {
	t.Helper()
	d, err := ml.Iris()
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]datasettest.Column, len(d.Features)+1)
	for f, name := range d.Features {
		cols[f].Name = name
		for i := lo; i < hi; i++ {
			cols[f].Float64 = append(cols[f].Float64, d.Row(i)[f])
		}
	}
	cols[len(d.Features)].Name = "species"
	for i := lo; i < hi; i++ {
		cols[len(d.Features)].Strings = append(cols[len(d.Features)].Strings, "c"+d.Classes[d.Y[i]])
	}
	var b bytes.Buffer
	if err := datasettest.WriteParquet(&b, cols, 64); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestTrainParquetFolderRecordsSource(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o755)
	os.WriteFile(filepath.Join(data, "part-0.parquet"), irisParquet(t, 0, 75), 0o644)
	os.WriteFile(filepath.Join(data, "part-1.parquet"), irisParquet(t, 75, 150), 0o644)
	out := filepath.Join(dir, "out")
	ref := "azureml://datastores/workspaceblobstore/paths/iris/"
	code, _, stderr := runArgs(t, "train", "--data", data, "--data-ref", ref, "--label", "species", "--features", "petal_length,petal_width", "--output-dir", out, "--n-estimators", "10")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var md jobspec.Metadata
	readJSON(t, filepath.Join(out, jobspec.MetadataFile), &md)
	src := md.DataSource
	if src == nil || src.Kind != jobspec.SourcePath || src.Ref != ref || src.Format != "parquet" || src.Files != 2 || src.Rows != 150 || src.SHA256 != md.DatasetSHA256 || len(src.SHA256) != 64 {
		t.Fatalf("data_source %+v", src)
	}
	if !slices.Equal(md.Features, []string{"petal_length", "petal_width"}) || md.Dataset != "data" || md.Split.TrainingSamples != 120 {
		t.Fatalf("metadata %+v", md)
	}
}

func TestTrainDataUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--data", "x.csv", "--dataset", "d"},
		{"--dataset", "d", "--artifactory", "r/p"},
		{"--data-ref", "azureml:iris:1"},
		{"--dataset-version", "1"},
		{"--dataset", "bad name"},
		{"--artifactory", "norepo"},
		{"--artifactory", "r/../x"},
		{"--features", "a,,b"},
		{"--features", "a,a"},
	} {
		code, _, stderr := runArgs(t, append([]string{"train"}, args...)...)
		if code != exitUsage || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr)
		}
	}
}

func TestTrainBadDataFailsAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.csv")
	os.WriteFile(p, []byte("a,label\n1,x\nfoo,y\n"), 0o644)
	out := filepath.Join(dir, "out")
	code, _, stderr := runArgs(t, "train", "--data", p, "--output-dir", out)
	if code == exitOK || !strings.Contains(stderr, p+":3: column \"a\": not a number") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a failed run wrote %s", out)
	}
}

func TestTrainFromDatasetAndArtifactory(t *testing.T) {
	s := newTestStack(t)
	tok, _ := s.rotate(t)
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "iris.parquet"), irisParquet(t, 0, 150), 0o644)
	repo, err := connectModelRepo(s.env)
	if err != nil {
		t.Fatal(err)
	}
	files := []jfrog.ModelFile{{Name: "iris.parquet", Path: filepath.Join(src, "iris.parquet")}}
	if _, err := repo.client.UploadDatasetVersion(ctx, tok, jfrog.DatasetRef{Repo: testMLRepo, Name: "iris-pq", Version: "1"}, files, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("dataset latest", func(t *testing.T) {
		out := filepath.Join(dir, "out-ds")
		var o, e bytes.Buffer
		code := runWith(ctx, s.env, []string{"train", "--dataset", "iris-pq", "--label", "species", "--output-dir", out, "--n-estimators", "10", "--upload", "--model-name", "from-ds", "--version", "1"}, &o, &e)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, e.String())
		}
		var md jobspec.Metadata
		readJSON(t, filepath.Join(out, jobspec.MetadataFile), &md)
		if d := md.DataSource; d == nil || d.Kind != jobspec.SourceDataset || d.Dataset != "iris-pq" || d.DatasetVersion != "1" || d.Repository != testMLRepo || d.Rows != 150 {
			t.Fatalf("data_source %+v", md.DataSource)
		}
		var props struct{ Properties map[string][]string }
		if err := json.Unmarshal(s.adminDo(t, http.MethodGet, "/artifactory/api/storage/"+testMLRepo+"/models/from-ds/1?properties", "", ""), &props); err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{"data_source": "dataset", "data_dataset": "iris-pq", "data_dataset_version": "1", "data_rows": "150", "data_sha256_prefix": md.DataSource.SHA256[:32]} {
			if !slices.Equal(props.Properties[k], []string{v}) {
				t.Errorf("property %s = %v, want %s", k, props.Properties[k], v)
			}
		}
	})
	t.Run("missing dataset version", func(t *testing.T) {
		var o, e bytes.Buffer
		code := runWith(ctx, s.env, []string{"train", "--dataset", "iris-pq", "--dataset-version", "9", "--label", "species", "--output-dir", filepath.Join(dir, "none")}, &o, &e)
		if code != exitFailure || !strings.Contains(e.String(), "dataset iris-pq version 9") || strings.Count(e.String(), "\n") != 1 {
			t.Fatalf("exit %d: %q", code, e.String())
		}
	})
	t.Run("artifactory file", func(t *testing.T) {
		s.adminDo(t, http.MethodPut, "/artifactory/api/repositories/data-generic", "application/json", `{"rclass":"local","packageType":"generic"}`)
		csv := ml.IrisCSV
		req, _ := http.NewRequest(http.MethodPut, s.jfSrv.URL+"/artifactory/data-generic/iris/train.csv", bytes.NewReader(csv))
		req.Header.Set("Authorization", "Bearer "+tok.Reveal())
		resp, err := s.jfSrv.Client().Do(req)
		if err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("deploy: %v %v", resp, err)
		}
		resp.Body.Close()
		out := filepath.Join(dir, "out-art")
		var o, e bytes.Buffer
		code := runWith(ctx, s.env, []string{"train", "--artifactory", "data-generic/iris/train.csv", "--split-column", "split", "--output-dir", out, "--n-estimators", "10"}, &o, &e)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, e.String())
		}
		var md jobspec.Metadata
		readJSON(t, filepath.Join(out, jobspec.MetadataFile), &md)
		if d := md.DataSource; d == nil || d.Kind != jobspec.SourceArtifactory || d.Artifactory != "data-generic/iris/train.csv" || d.SHA256 != ml.SHA256Hex(csv) {
			b, _ := json.Marshal(md.DataSource)
			t.Fatalf("data_source %s", b)
		}
	})
}

package ml

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func irisModels(t testing.TB) []*Model {
	t.Helper()
	train, _ := irisSplit(t)
	l, err := FitLogistic(context.Background(), train, LogisticParams{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return []*Model{
		fitModel(t, train, ForestParams{NEstimators: 20}, 42, 2),
		{Type: LogisticRegression, Features: train.Features, Classes: train.Classes, Seed: 42, Linear: l},
	}
}

func TestModelRoundTrip(t *testing.T) {
	d, err := Iris()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range irisModels(t) {
		t.Run(m.Type, func(t *testing.T) {
			data, err := m.Encode()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "model.json")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			back, err := LoadModel(path, &LoadOptions{SHA256: SHA256Hex(data)})
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float64, d.Rows()*3)
			got := make([]float64, d.Rows()*3)
			m.PredictBatch(d.X, want, 1)
			back.PredictBatch(d.X, got, 2)
			for i := range want {
				if want[i] != got[i] {
					t.Fatalf("probability %d: loaded %v, original %v", i, got[i], want[i])
				}
			}
			again, err := back.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, data) {
				t.Error("re-encoding the loaded model changed the bytes")
			}
		})
	}
}

func TestModelLoadRejects(t *testing.T) {
	good, err := irisModels(t)[0].Encode()
	if err != nil {
		t.Fatal(err)
	}
	s := string(good)
	tests := []struct {
		name string
		data string
		want error
		msg  string
	}{
		{"truncated", s[:len(s)/2], nil, "truncated"},
		{"empty", "", nil, "truncated"},
		{"tampered threshold", strings.Replace(s, `"threshold":[`, `"threshold":[9`, 1), ErrModelTampered, "sha256"},
		{"tampered class", strings.Replace(s, `"classes":["0"`, `"classes":["9"`, 1), ErrModelTampered, "sha256"},
		{"unknown schema version", strings.Replace(s, `"schema_version":1`, `"schema_version":2`, 1), ErrModelSchema, "schema_version"},
		{"wrong format", strings.Replace(s, ModelFormat, "other", 1), ErrModelSchema, "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeModel([]byte(tt.data), "m.json")
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if msg := err.Error(); !strings.Contains(msg, "m.json") || !strings.Contains(msg, tt.msg) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming the file and %q", msg, tt.msg)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "model.json")
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(path, &LoadOptions{SHA256: strings.Repeat("0", 64)}); !errors.Is(err, ErrModelTampered) {
		t.Errorf("expected file sha256 mismatch: err = %v", err)
	}
	if _, err := LoadModel(filepath.Join(t.TempDir(), "missing.json"), nil); err == nil {
		t.Error("missing file: no error")
	}
}

// encodeBody wraps a model body in a valid envelope.
func encodeBody(body string) []byte {
	return []byte(`{"format":"frogbridge-model","schema_version":1,"sha256":"` + SHA256Hex([]byte(body)) + `","model":` + body + `}`)
}

func TestModelStructureErrors(t *testing.T) {
	head := `{"model_type":"random_forest","features":["a","b"],"classes":["x","y"],"seed":1,"forest":{"params":{},"trees":[`
	tests := []struct {
		name, tree string
	}{
		{"feature out of range", `{"feature":[2,-1,-1],"threshold":[0.5],"value":[1,0,0,1]}`},
		{"missing right child", `{"feature":[0,-1],"threshold":[0.5],"value":[1,0]}`},
		{"extra nodes", `{"feature":[-1,-1],"threshold":[],"value":[1,0,0,1]}`},
		{"missing threshold", `{"feature":[0,-1,-1],"threshold":[],"value":[1,0,0,1]}`},
		{"extra threshold", `{"feature":[0,-1,-1],"threshold":[0.5,1],"value":[1,0,0,1]}`},
		{"short values", `{"feature":[0,-1,-1],"threshold":[0.5],"value":[1,0,0]}`},
		{"negative count", `{"feature":[0,-1,-1],"threshold":[0.5],"value":[1,0,-1,1]}`},
		{"zero leaf", `{"feature":[0,-1,-1],"threshold":[0.5],"value":[1,0,0,0]}`},
		{"no nodes", `{"feature":[],"threshold":[],"value":[]}`},
		{"bad leaf marker", `{"feature":[-2],"threshold":[],"value":[1,0]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeModel(encodeBody(head+tt.tree+`]}}`), "s.json")
			if err == nil || !strings.Contains(err.Error(), "trees[0]") {
				t.Errorf("err = %v, want an error naming trees[0]", err)
			}
		})
	}
	ok := head + `{"feature":[0,-1,1,-1,-1],"threshold":[0.5,2],"value":[1,0,0,1,2,2]}]}}`
	m, err := DecodeModel(encodeBody(ok), "ok.json")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, 2)
	for _, tt := range []struct {
		x    []float64
		want float64 // probability of class y
	}{{[]float64{0, 0}, 0}, {[]float64{1, 1}, 1}, {[]float64{1, 3}, 0.5}} {
		m.PredictProba(tt.x, p)
		if p[1] != tt.want {
			t.Errorf("x=%v: p(y) = %v, want %v", tt.x, p[1], tt.want)
		}
	}
}

func FuzzDecodeModel(f *testing.F) {
	for _, m := range irisModels(f) {
		b, err := m.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(encodeBody(`{"model_type":"random_forest","features":["a"],"classes":["x","y"],"forest":{"params":{},"trees":[{"feature":[0,-1,-1],"threshold":[0.5],"value":[1,0,0,1]}]}}`))
	f.Add(encodeBody(`{"model_type":"logistic_regression","features":["a"],"classes":["x","y"],"linear":{"params":{},"coef":[[1],[2]],"intercept":[0,1]}}`))
	f.Add([]byte(`{"format":"frogbridge-model","schema_version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeModel(data, "fuzz.json")
		if err != nil {
			return
		}
		// a model that loads must predict without panicking
		x := make([]float64, len(m.Features))
		p := make([]float64, len(m.Classes))
		m.PredictProba(x, p)
		var s float64
		for _, v := range p {
			s += v
		}
		if !near(s, 1, 1e-6) {
			t.Fatalf("probabilities sum to %v", s)
		}
		// batch prediction (which walks trees without bounds checks) must
		// agree with single rows, and so must the model written back
		rows := make([]float64, 0, 5*len(m.Features))
		for r := range 5 {
			for f := range m.Features {
				rows = append(rows, float64((r*7+f*3)%11)-5+float64(r)/3)
			}
		}
		batch := make([]float64, 5*len(m.Classes))
		m.PredictBatch(rows, batch, 2)
		again, err := m.Encode()
		if err != nil {
			t.Fatalf("encode a decoded model: %v", err)
		}
		m2, err := DecodeModel(again, "again.json")
		if err != nil {
			t.Fatalf("decode a re-encoded model: %v", err)
		}
		C := len(m.Classes)
		for r := range 5 {
			x := rows[r*len(m.Features) : (r+1)*len(m.Features)]
			m.PredictProba(x, p)
			q := make([]float64, C)
			m2.PredictProba(x, q)
			for c := range C {
				if p[c] != batch[r*C+c] || p[c] != q[c] {
					t.Fatalf("row %d: single %v, batch %v, re-encoded %v", r, p, batch[r*C:(r+1)*C], q)
				}
			}
		}
	})
}

package onnx

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/onnx/onnxpb"
)

// envelope wraps a model body in a model file with its correct sha256, so
// that fuzzed bodies pass the file's integrity check.
func envelope(body []byte) []byte {
	return fmt.Appendf(nil, `{"format":%q,"schema_version":%d,"sha256":%q,"model":%s}`, ml.ModelFormat, ml.ModelSchemaVersion, ml.SHA256Hex(body), body)
}

// FuzzExport exports every model file body the trainer accepts and checks
// that the ONNX model decodes and that its tree ensemble, read as the ONNX
// specification reads it, gives the trainer's probabilities.
func FuzzExport(f *testing.F) {
	for _, kind := range []string{ml.RandomForest, ml.LogisticRegression} {
		m := train(f, blobs(80, 3, 3, 4), kind, ml.ForestParams{NEstimators: 2, MaxDepth: 3})
		b, err := m.Encode()
		if err != nil {
			f.Fatal(err)
		}
		i := bytes.Index(b, []byte(`"model":`))
		body := bytes.TrimSuffix(b[i+len(`"model":`):], []byte("}\n"))
		if _, err := ml.DecodeModel(envelope(body), "seed"); err != nil {
			f.Fatalf("seed does not decode: %v", err)
		}
		f.Add(body)
	}
	f.Add([]byte(`{"model_type":"random_forest","features":["a","b"],"classes":["x","y"],"forest":{"params":{},"trees":[{"feature":[1,-1,-1],"threshold":[-0.5],"value":[1,0,0,1]}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ml.DecodeModel(envelope(body), "fuzz.json")
		if err != nil {
			return
		}
		b, err := Export(m, nil)
		if err != nil {
			if len(m.Classes) < 2 {
				return
			}
			t.Fatalf("export of a model the trainer accepts: %v", err)
		}
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(b, &mp); err != nil {
			t.Fatalf("exported model does not decode: %v", err)
		}
		if m.Forest == nil {
			return
		}
		te := node(t, mp.GetGraph(), "TreeEnsembleClassifier")
		nf, C := len(m.Features), len(m.Classes)
		x, x32, want := make([]float64, nf), make([]float32, nf), make([]float64, C)
		for r := range 4 {
			for j := range nf {
				x[j] = float64((r*5+j*3)%7) - 3 + float64(r)/4
				x32[j] = float32(x[j])
			}
			m.PredictProba(x, want)
			got := ensembleProba(t, te, x32, C)
			for c := range C {
				if math.Abs(got[c]-want[c]) > 1e-9 {
					t.Fatalf("row %v: exported ensemble %v, trainer %v", x, got, want)
				}
			}
		}
	})
}

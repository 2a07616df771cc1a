package ml_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/frogbridge/frogbridge/internal/ml"
)

// Example trains a forest on the embedded Iris set, saves it, loads it back
// verifying its sha256 and predicts the test rows.
func Example() {
	d, err := ml.Iris()
	if err != nil {
		panic(err)
	}
	train, test, err := ml.SplitByColumn(d)
	if err != nil {
		panic(err)
	}
	res, err := ml.Train(context.Background(), train, test, ml.TrainOptions{ModelType: ml.RandomForest, Seed: 42})
	if err != nil {
		panic(err)
	}
	data, err := res.Model.Encode()
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "model")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		panic(err)
	}
	m, err := ml.LoadModel(path, &ml.LoadOptions{SHA256: ml.SHA256Hex(data)})
	if err != nil {
		panic(err)
	}
	p, err := m.PredictDataset(test, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Report.Accuracy, len(p.Class), p.Label(0))
	// Output: 1 30 0
}

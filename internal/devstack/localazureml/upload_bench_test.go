package localazureml

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkUploadOutputs streams a 32 MiB output folder to Azurite; the
// allocations per op stay near the block size × concurrency whatever the
// file size.
func BenchmarkUploadOutputs(b *testing.B) {
	az := startAzurite(b)
	dir := b.TempDir()
	out := filepath.Join(dir, "model")
	if err := os.MkdirAll(out, 0o700); err != nil {
		b.Fatal(err)
	}
	const size = 32 << 20
	data := make([]byte, size)
	_, _ = rand.Read(data)
	if err := os.WriteFile(filepath.Join(out, "weights.bin"), data, 0o600); err != nil {
		b.Fatal(err)
	}
	data = nil
	s := &Server{opts: Options{Blob: BlobTarget{ConnectionString: az.ConnectionString()}}}
	outputs := []output{{name: "model", local: out, prefix: "azureml/bench/model"}}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.uploadOutputs(context.Background(), "bench", outputs); err != nil {
			b.Fatal(err)
		}
	}
}

package e2e

import (
	"net/http"
	"sort"
	"testing"
	"time"
)

// BenchmarkRotation measures one forced rotation end to end against the
// local stack — HTTP through the local Functions host, managed identity,
// JFrog exchange and verification, lease, Key Vault write — and reports
// p50 and p99. Run: go test -run '^$' -bench Rotation -benchtime 200x ./internal/e2e
func BenchmarkRotation(b *testing.B) {
	s := sharedStack(b)
	h := startHost(b, s, nil)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		status, body := h.call(b, http.MethodPost, "/api/KeyVaultSecretRotation?force=true", "", "function")
		if status != http.StatusOK {
			b.Fatalf("rotation %d = %d %s", i, status, body)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

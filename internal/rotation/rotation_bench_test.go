package rotation

import (
	"context"
	"testing"
	"time"
)

// BenchmarkRotateFakes measures the service's own overhead for one forced
// rotation against in-memory dependencies.
func BenchmarkRotateFakes(b *testing.B) {
	f := newFixture(b, Config{CoalesceWindow: -1}, nil)
	f.store.add(oldCreds(b, time.Minute))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.Rotate(ctx, RotateOptions{Force: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaxGap measures the schedule analysis for a daily and a
// day-constrained dense schedule.
func BenchmarkMaxGap(b *testing.B) {
	for _, s := range []string{"0 */30 * * * *", "0 0 0 1 * *", "0 * * 1-28 * *"} {
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, err := MaxGap(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

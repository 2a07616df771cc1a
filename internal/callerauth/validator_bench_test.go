package callerauth

import (
	"context"
	"testing"
)

// BenchmarkValidate is the per-request cost of a token check with the keys
// cached (an RS256 verification plus the claim checks).
func BenchmarkValidate(b *testing.B) {
	p := newIDP(b)
	v := p.validator(b, nil)
	tok := p.sign(b, "k1", p.v2(RoleJobsSubmit))
	if _, err := v.Validate(context.Background(), tok); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := v.Validate(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}

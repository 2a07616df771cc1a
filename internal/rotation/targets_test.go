package rotation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frogbridge/frogbridge/internal/errkind"
	"github.com/frogbridge/frogbridge/internal/jfrog"
)

func TestTargetsOneFailingLeavesTheOtherRotated(t *testing.T) {
	def := newFixture(t, Config{}, nil)
	docker := newFixture(t, Config{Target: "docker-pull", Exchange: jfrog.ExchangeOptions{IdentityMappingName: "docker", Scope: "applied-permissions/user"}}, nil)
	broken := newFixture(t, Config{Target: "pip-netrc", Exchange: jfrog.ExchangeOptions{IdentityMappingName: "missing"}}, nil)
	broken.jf.exchangeErr = errJFrog(403)
	for _, f := range []*fixture{def, docker, broken} {
		f.store.add(oldCreds(t, time.Hour))
	}
	ts, err := NewTargets([]Target{
		{Name: "artifactory-access-token-secret", Shape: "json", Service: def.svc},
		{Name: "docker-pull", Shape: "dockerconfigjson", Service: docker.svc},
		{Name: "pip-netrc", Shape: "netrc", Service: broken.svc},
	})
	if err != nil {
		t.Fatal(err)
	}
	all := ts.RotateAll(context.Background(), RotateOptions{Trigger: "timer"})
	if len(all) != 3 {
		t.Fatalf("got %d results", len(all))
	}
	for i, name := range []string{"artifactory-access-token-secret", "docker-pull"} {
		r := all[i]
		if r.Err != nil || !r.Rotated || r.Secret != name || r.SecretVersion != "v2" {
			t.Errorf("target %s: %+v", name, r)
		}
	}
	if r := all[2]; r.Err == nil || r.Rotated || r.Error == "" || errkind.Of(r.Err) != errkind.Forbidden {
		t.Errorf("broken target: %+v (kind %v)", r, errkind.Of(r.Err))
	}
	if latest, _ := broken.store.latest(); latest.Version != "v1" {
		t.Errorf("broken target's secret moved to %s", latest.Version)
	}
	if latest, _ := docker.store.latest(); latest.AccessToken != docker.jf.minted[0] {
		t.Error("docker target does not hold its own new token")
	}
	// Each target sent its own exchange options.
	if got := docker.jf.opts; len(got) != 1 || got[0].IdentityMappingName != "docker" || got[0].Scope != "applied-permissions/user" {
		t.Errorf("docker exchange options = %+v", got)
	}
	if got := def.jf.opts; len(got) != 1 || got[0].IdentityMappingName != "" || got[0].Scope != "" {
		t.Errorf("default exchange options = %+v", got)
	}
}

// The forced-rotation limit is kept per target: forcing one target does
// not refuse the next target's forced run.
func TestTargetsForcedLimitPerTarget(t *testing.T) {
	log := &fakeForceLog{}
	deps := func(d *Dependencies) { d.Forced = log }
	a := newFixture(t, Config{ForceMinInterval: time.Hour}, deps)
	b := newFixture(t, Config{ForceMinInterval: time.Hour, Target: "docker-pull"}, deps)
	if _, err := a.svc.Rotate(context.Background(), RotateOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Rotate(context.Background(), RotateOptions{Force: true}); err != nil {
		t.Fatalf("second target refused: %v", err)
	}
	_, err := b.svc.Rotate(context.Background(), RotateOptions{Force: true})
	var re *Error
	if !errors.As(err, &re) || re.Kind != errkind.RateLimited {
		t.Fatalf("second forced run of the same target: %v", err)
	}
}

func TestNewTargetsNeedsServices(t *testing.T) {
	if _, err := NewTargets(nil); err == nil {
		t.Error("no targets accepted")
	}
	if _, err := NewTargets([]Target{{Name: "x"}}); err == nil {
		t.Error("target without service accepted")
	}
}

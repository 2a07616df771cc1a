package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/frogbridge/frogbridge/internal/config"
)

func TestInstanceCount(t *testing.T) {
	for body, want := range map[string]int{`{}`: 1, `{"instance_count":1}`: 1, `{"instance_count":4}`: 4, `{"instance_count":16}`: MaxInstanceCount} {
		req, err := ParseTrainingRequest(strings.NewReader(body))
		if err != nil || req.Instances != want {
			t.Errorf("%s: instances %v, %v; want %d", body, req, err, want)
		}
	}
	for _, body := range []string{
		`{"instance_count":0}`, `{"instance_count":17}`, `{"instance_count":-1}`, `{"instance_count":"2"}`, `{"instance_count":1.5}`,
		`{"instance_count":2,"hyperparameters":{"model":"logistic_regression"}}`,
	} {
		_, err := ParseTrainingRequest(strings.NewReader(body))
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "instance_count" {
			t.Errorf("%s: err = %v, want a ValidationError of instance_count", body, err)
		}
	}
	if _, err := ParseTrainingRequest(strings.NewReader(`{"instance_count":2,"hyperparameters":{"model":"random_forest"}}`)); err != nil {
		t.Errorf("a random forest on 2 instances: %v", err)
	}
}

func TestSubmitTrainingAsksForInstances(t *testing.T) {
	ws := localWorkspace(t)
	ctx := context.Background()
	cfg := Config{Jobs: config.Jobs{ArtifactoryHost: "acme.jfrog.io", DockerRepo: "docker-local", TrainerImage: "trainer", TrainerTag: "1.0",
		ConnectionName: "registry", Compute: "cpu-cluster", ModelName: "m"}}
	s := NewService(cfg, ws, staticCreds{}, nil)
	for _, n := range []int{1, 3} {
		sub, err := s.SubmitTraining(ctx, &TrainingRequest{Instances: n})
		if err != nil {
			t.Fatal(err)
		}
		j, err := ws.GetJob(ctx, sub.JobName)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case n == 1 && (j.InstanceCount > 1 || j.Distribution != nil):
			t.Errorf("one instance: job asks for %d instances, distribution %+v", j.InstanceCount, j.Distribution)
		case n > 1 && (j.InstanceCount != n || j.Distribution == nil || j.Distribution.ProcessCountPerInstance != 1):
			t.Errorf("%d instances: job asks for %d, distribution %+v", n, j.InstanceCount, j.Distribution)
		}
	}
}

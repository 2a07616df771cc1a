package config

import (
	"testing"

	"github.com/frogbridge/frogbridge/internal/jobspec"
)

func TestLoadDistributed(t *testing.T) {
	launcher := map[string]string{jobspec.EnvWorldSize: "3", jobspec.EnvRank: "2", jobspec.EnvMasterAddr: "10.0.0.4",
		jobspec.EnvMasterPort: "6105", jobspec.EnvRunID: "train-1"}
	c := LoadTrainer(env(launcher))
	want := Distributed{WorldSize: 3, Rank: 2, MasterAddr: "10.0.0.4:6105", RunID: "train-1"}
	if c.DistributedErr != nil || c.Distributed != want {
		t.Errorf("launcher variables: %+v, %v; want %+v", c.Distributed, c.DistributedErr, want)
	}
	if c := LoadTrainer(env(nil)); c.DistributedErr != nil || c.Distributed.WorldSize != 1 || c.Distributed.Rank != 0 {
		t.Errorf("no launcher: %+v, %v", c.Distributed, c.DistributedErr)
	}
	if c := LoadTrainer(env(map[string]string{jobspec.EnvWorldSize: "1"})); c.DistributedErr != nil || c.Distributed.WorldSize != 1 {
		t.Errorf("WORLD_SIZE=1 needs nothing else: %+v, %v", c.Distributed, c.DistributedErr)
	}
	for name, v := range map[string]string{
		jobspec.EnvWorldSize: "0", jobspec.EnvRank: "3", jobspec.EnvMasterPort: "70000", jobspec.EnvMasterAddr: "",
	} {
		bad := map[string]string{}
		for k, x := range launcher {
			bad[k] = x
		}
		bad[name] = v
		c := LoadTrainer(env(bad))
		if c.DistributedErr == nil || c.Distributed.WorldSize != 1 {
			t.Errorf("%s=%q accepted: %+v", name, v, c.Distributed)
		}
	}
	if c := LoadTrainer(env(map[string]string{jobspec.EnvWorldSize: "100"})); c.DistributedErr == nil {
		t.Errorf("WORLD_SIZE over MaxWorldSize accepted")
	}
}

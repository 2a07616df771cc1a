package azureml

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCommandJobDistribution(t *testing.T) {
	job := CommandJob{Command: "trainer train", EnvironmentID: "env", InstanceCount: 3, Distribution: &Distribution{}}
	r, err := commandJobBody(job)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	for _, want := range []string{`"resources":{"instanceCount":3}`, `"distribution":{"distributionType":"PyTorch","processCountPerInstance":1}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("body %s lacks %s", b, want)
		}
	}
	j, err := ParseJob(b)
	if err != nil {
		t.Fatal(err)
	}
	if j.InstanceCount != 3 || j.Distribution == nil || j.Distribution.ProcessCountPerInstance != 1 {
		t.Errorf("parsed back: instances %d, distribution %+v", j.InstanceCount, j.Distribution)
	}

	single, _ := commandJobBody(CommandJob{Command: "c", EnvironmentID: "e"})
	b, _ = json.Marshal(single)
	if strings.Contains(string(b), "resources") || strings.Contains(string(b), "distribution") {
		t.Errorf("a single-instance job carries %s", b)
	}
	for _, bad := range []CommandJob{{InstanceCount: -1}, {Distribution: &Distribution{ProcessCountPerInstance: -2}}} {
		if _, err := commandJobBody(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

package ml

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestClassificationReport(t *testing.T) {
	// scikit-learn's documented example:
	// y_true = [0, 1, 2, 2, 2]; y_pred = [0, 0, 2, 2, 1]
	r := ClassificationReport([]string{"class 0", "class 1", "class 2"}, []int{0, 1, 2, 2, 2}, []int{0, 0, 2, 2, 1})
	want := []ClassScores{
		{0.5, 1, 2.0 / 3, 1},
		{0, 0, 0, 1},
		{1, 2.0 / 3, 0.8, 3},
	}
	for c, w := range want {
		g := r.PerClass[c]
		if !near(g.Precision, w.Precision, 1e-12) || !near(g.Recall, w.Recall, 1e-12) || !near(g.F1, w.F1, 1e-12) || g.Support != w.Support {
			t.Errorf("class %d = %+v, want %+v", c, g, w)
		}
	}
	if !near(r.Accuracy, 0.6, 1e-12) {
		t.Errorf("accuracy = %v", r.Accuracy)
	}
	if !near(r.MacroAvg.Precision, 0.5, 1e-12) || !near(r.MacroAvg.Recall, 5.0/9, 1e-12) || !near(r.MacroAvg.F1, (2.0/3+0.8)/3, 1e-12) || r.MacroAvg.Support != 5 {
		t.Errorf("macro avg = %+v", r.MacroAvg)
	}
	if !near(r.WeightedAvg.Precision, 0.7, 1e-12) || !near(r.WeightedAvg.Recall, 0.6, 1e-12) || !near(r.WeightedAvg.F1, (2.0/3+2.4)/5, 1e-12) {
		t.Errorf("weighted avg = %+v", r.WeightedAvg)
	}
}

func TestReportJSONShape(t *testing.T) {
	r := ClassificationReport([]string{"b", "a"}, []int{0, 1, 1}, []int{0, 1, 0})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	order := []string{`"b":{`, `"a":{`, `"accuracy":`, `"macro avg":{`, `"weighted avg":{`}
	last := -1
	for _, k := range order {
		i := strings.Index(s, k)
		if i <= last {
			t.Fatalf("key %s out of order in %s", k, s)
		}
		last = i
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	a := m["a"].(map[string]any)
	for _, k := range []string{"precision", "recall", "f1-score", "support"} {
		if _, ok := a[k]; !ok {
			t.Errorf("class entry lacks %q: %v", k, a)
		}
	}
	if a["support"] != 2.0 || m["accuracy"] != 2.0/3 {
		t.Errorf("support = %v, accuracy = %v", a["support"], m["accuracy"])
	}
}

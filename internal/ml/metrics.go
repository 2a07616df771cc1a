package ml

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ClassScores are the precision, recall, F1 score and support of one class
// or one average, as in scikit-learn's classification_report.
type ClassScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1-score"`
	Support   int     `json:"support"`
}

// Report is scikit-learn's classification_report(output_dict=True): it
// marshals to {"<class>":{...},...,"accuracy":A,"macro avg":{...},"weighted avg":{...}}
// with the classes in order. Undefined ratios (0/0) are 0, as scikit-learn's
// zero_division default reports them.
type Report struct {
	Classes     []string
	PerClass    []ClassScores
	Accuracy    float64
	MacroAvg    ClassScores
	WeightedAvg ClassScores
}

// ClassificationReport scores predicted against true class indices into
// classes. It panics when the slices differ in length (a programmer error).
func ClassificationReport(classes []string, yTrue, yPred []int) Report {
	if len(yTrue) != len(yPred) {
		panic("ml: ClassificationReport: yTrue and yPred differ in length")
	}
	C := len(classes)
	tp := make([]int, C)
	predicted := make([]int, C)
	support := make([]int, C)
	correct := 0
	for i, t := range yTrue {
		p := yPred[i]
		support[t]++
		predicted[p]++
		if t == p {
			tp[t]++
			correct++
		}
	}
	r := Report{Classes: classes, PerClass: make([]ClassScores, C)}
	total := len(yTrue)
	for c := range C {
		s := ClassScores{Precision: ratio(tp[c], predicted[c]), Recall: ratio(tp[c], support[c]), Support: support[c]}
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		r.PerClass[c] = s
		r.MacroAvg.Precision += s.Precision / float64(C)
		r.MacroAvg.Recall += s.Recall / float64(C)
		r.MacroAvg.F1 += s.F1 / float64(C)
		if total > 0 {
			w := float64(s.Support) / float64(total)
			r.WeightedAvg.Precision += s.Precision * w
			r.WeightedAvg.Recall += s.Recall * w
			r.WeightedAvg.F1 += s.F1 * w
		}
	}
	r.MacroAvg.Support, r.WeightedAvg.Support = total, total
	r.Accuracy = ratio(correct, total)
	return r
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// MarshalJSON writes the scikit-learn output_dict shape with ordered keys.
func (r Report) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	put := func(key string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		val, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("marshal report %s: %w", key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(val)
		return nil
	}
	for c, name := range r.Classes {
		if err := put(name, r.PerClass[c]); err != nil {
			return nil, err
		}
	}
	if err := put("accuracy", r.Accuracy); err != nil {
		return nil, err
	}
	if err := put("macro avg", r.MacroAvg); err != nil {
		return nil, err
	}
	if err := put("weighted avg", r.WeightedAvg); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

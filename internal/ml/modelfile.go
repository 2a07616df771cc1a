package ml

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// Model file format, version 1 (model.json):
//
//	{"format":"frogbridge-model","schema_version":1,"sha256":"<hex>","model":{...}}
//
// sha256 is the hex sha256 of the exact bytes of the "model" value, so any
// edit of the model is detected on load. The model object holds:
//
//	model_type      "random_forest" or "logistic_regression"
//	features        feature names, in the column order rows are given
//	classes         class names; probabilities follow this order
//	seed            training seed (provenance)
//	forest          {"params":{...},"trees":[TREE...]}      for random_forest
//	linear          {"params":{...},"coef":[[...]...],"intercept":[...]} for logistic_regression
//
// A TREE lists its nodes in preorder (a split's left subtree follows it,
// then its right subtree):
//
//	feature    per node: the feature index compared, or -1 for a leaf
//	threshold  per split node, in order: go left when float32(x[feature]) <= threshold
//	value      per leaf, in order: len(classes) weighted training class counts
//
// A tree's class probabilities at a leaf are its counts over their sum; the
// forest averages them over trees.
const (
	// ModelFormat is the "format" value of every model file.
	ModelFormat = "frogbridge-model"
	// ModelSchemaVersion is the schema version this package writes and reads.
	ModelSchemaVersion = 1
)

// ErrModelTampered is returned when a model file's content does not match
// its recorded or expected sha256.
var ErrModelTampered = errors.New("sha256 mismatch")

// ErrModelSchema is returned for a model file of an unknown format or schema version.
var ErrModelSchema = errors.New("unsupported model file")

type envelope struct {
	Format        string          `json:"format"`
	SchemaVersion int             `json:"schema_version"`
	SHA256        string          `json:"sha256"`
	Model         json.RawMessage `json:"model"`
}

type modelBody struct {
	ModelType string      `json:"model_type"`
	Features  []string    `json:"features"`
	Classes   []string    `json:"classes"`
	Seed      uint64      `json:"seed"`
	Forest    *forestBody `json:"forest,omitempty"`
	Linear    *linearBody `json:"linear,omitempty"`
}

type forestBody struct {
	Params ForestParams `json:"params"`
	Trees  []treeBody   `json:"trees"`
}

type treeBody struct {
	Feature   []int32   `json:"feature"`
	Threshold []float32 `json:"threshold"`
	Value     []float64 `json:"value"`
}

type linearBody struct {
	Params    LogisticParams `json:"params"`
	Coef      [][]float64    `json:"coef"`
	Intercept []float64      `json:"intercept"`
}

// Encode returns the model file bytes (format version 1). The same model
// always encodes to the same bytes.
func (m *Model) Encode() ([]byte, error) {
	b := modelBody{ModelType: m.Type, Features: m.Features, Classes: m.Classes, Seed: m.Seed}
	switch {
	case m.Forest != nil:
		fb := &forestBody{Params: m.Forest.Params, Trees: make([]treeBody, len(m.Forest.Trees))}
		for i, t := range m.Forest.Trees {
			fb.Trees[i] = t.body()
		}
		b.Forest = fb
	case m.Linear != nil:
		l := m.Linear
		lb := &linearBody{Params: l.Params, Intercept: l.Intercept, Coef: make([][]float64, l.NumClasses)}
		for c := range l.NumClasses {
			lb.Coef[c] = l.Coef[c*l.NumFeatures : (c+1)*l.NumFeatures]
		}
		b.Linear = lb
	default:
		return nil, errNoModel
	}
	body, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	var out bytes.Buffer
	out.Grow(len(body) + 160)
	fmt.Fprintf(&out, `{"format":%q,"schema_version":%d,"sha256":%q,"model":`, ModelFormat, ModelSchemaVersion, SHA256Hex(body))
	out.Write(body)
	out.WriteString("}\n")
	return out.Bytes(), nil
}

func (t *Tree) body() treeBody {
	pre := t.preorder()
	tb := treeBody{Feature: make([]int32, len(pre)), Threshold: []float32{}, Value: t.counts}
	for i, n := range pre {
		tb.Feature[i] = n.Feature
		if n.Feature >= 0 {
			tb.Threshold = append(tb.Threshold, n.Threshold)
		}
	}
	return tb
}

// LoadOptions are optional checks for LoadModel.
type LoadOptions struct {
	// SHA256, when set, is the expected hex sha256 of the whole file (as in
	// metadata.json's model_sha256 or the repository's checksum).
	SHA256 string
}

// LoadModel reads and verifies a model file: the whole-file sha256 when
// opts.SHA256 is set, the format and schema version, the recorded sha256 of
// the model, and the structure of every tree.
func LoadModel(path string, opts *LoadOptions) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if opts != nil && opts.SHA256 != "" {
		if got := SHA256Hex(data); !strings.EqualFold(got, opts.SHA256) {
			return nil, fmt.Errorf("model file %s: %w: expected %s, file has %s; download the model again", path, ErrModelTampered, opts.SHA256, got)
		}
	}
	return DecodeModel(data, path)
}

// DecodeModel parses and verifies model file bytes; name labels errors.
func DecodeModel(data []byte, name string) (*Model, error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("model file %s: truncated or not JSON: %w", name, err)
	}
	if env.Format != ModelFormat {
		return nil, fmt.Errorf("model file %s: field format: %w: %q, want %q", name, ErrModelSchema, env.Format, ModelFormat)
	}
	if env.SchemaVersion != ModelSchemaVersion {
		return nil, fmt.Errorf("model file %s: field schema_version: %w: version %d, this trainer reads %d; use a matching trainer", name, ErrModelSchema, env.SchemaVersion, ModelSchemaVersion)
	}
	if got := SHA256Hex(env.Model); !strings.EqualFold(got, env.SHA256) {
		return nil, fmt.Errorf("model file %s: field sha256: %w: recorded %s, model content has %s; the file was modified", name, ErrModelTampered, env.SHA256, got)
	}
	var b modelBody
	dec := json.NewDecoder(bytes.NewReader(env.Model))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("model file %s: field model: %w", name, err)
	}
	m, err := b.model()
	if err != nil {
		return nil, fmt.Errorf("model file %s: %w", name, err)
	}
	return m, nil
}

func (b *modelBody) model() (*Model, error) {
	nf, C := len(b.Features), len(b.Classes)
	if nf == 0 {
		return nil, errors.New("field features: empty")
	}
	if C < 2 {
		return nil, fmt.Errorf("field classes: %w", ErrOneClass)
	}
	m := &Model{Type: b.ModelType, Features: b.Features, Classes: b.Classes, Seed: b.Seed}
	switch b.ModelType {
	case RandomForest:
		if b.Forest == nil || b.Linear != nil || len(b.Forest.Trees) == 0 {
			return nil, errors.New("field forest: missing or empty for model_type random_forest")
		}
		f := &Forest{NumFeatures: nf, NumClasses: C, Params: b.Forest.Params, Trees: make([]*Tree, len(b.Forest.Trees))}
		for i, tb := range b.Forest.Trees {
			t, err := tb.tree(nf, C)
			if err != nil {
				return nil, fmt.Errorf("field forest.trees[%d]: %w", i, err)
			}
			f.Trees[i] = t
		}
		m.Forest = f
	case LogisticRegression:
		l := b.Linear
		if l == nil || b.Forest != nil {
			return nil, errors.New("field linear: missing for model_type logistic_regression")
		}
		if len(l.Coef) != C || len(l.Intercept) != C {
			return nil, fmt.Errorf("field linear: %d coefficient rows and %d intercepts for %d classes", len(l.Coef), len(l.Intercept), C)
		}
		lm := &Logistic{NumFeatures: nf, NumClasses: C, Params: l.Params, Intercept: l.Intercept, Coef: make([]float64, 0, nf*C)}
		for c, row := range l.Coef {
			if len(row) != nf {
				return nil, fmt.Errorf("field linear.coef[%d]: %d values for %d features", c, len(row), nf)
			}
			lm.Coef = append(lm.Coef, row...)
		}
		for _, v := range lm.Coef {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.New("field linear.coef: not finite")
			}
		}
		m.Linear = lm
	default:
		return nil, fmt.Errorf("field model_type: %w: %q", ErrModelSchema, b.ModelType)
	}
	return m, nil
}

// tree rebuilds and validates a preorder tree.
func (tb *treeBody) tree(nf, C int) (*Tree, error) {
	n := len(tb.Feature)
	if n == 0 {
		return nil, errors.New("no nodes")
	}
	t := &Tree{counts: tb.Value}
	pre := make([]node, n)
	var pending []int32 // split nodes awaiting their right child
	thr, leaves := 0, 0
	for i, f := range tb.Feature {
		if i > 0 && tb.Feature[i-1] < 0 {
			if len(pending) == 0 {
				return nil, fmt.Errorf("node %d: after the last leaf of the tree", i)
			}
			p := pending[len(pending)-1]
			pending = pending[:len(pending)-1]
			pre[p].Next = int32(i)
		}
		switch {
		case f < 0:
			if f != -1 {
				return nil, fmt.Errorf("node %d: feature %d", i, f)
			}
			pre[i] = node{Feature: -1, Next: int32(leaves * C)}
			leaves++
		case int(f) >= nf:
			return nil, fmt.Errorf("node %d: feature %d out of range (%d features)", i, f, nf)
		default:
			if thr >= len(tb.Threshold) {
				return nil, fmt.Errorf("node %d: missing threshold", i)
			}
			v := tb.Threshold[thr]
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("node %d: threshold not finite", i)
			}
			thr++
			pre[i] = node{Feature: f, Threshold: v}
			pending = append(pending, int32(i))
		}
	}
	if len(pending) > 0 || tb.Feature[n-1] >= 0 {
		return nil, errors.New("incomplete: split nodes without children")
	}
	if thr != len(tb.Threshold) {
		return nil, fmt.Errorf("%d thresholds for %d split nodes", len(tb.Threshold), thr)
	}
	if len(tb.Value) != leaves*C {
		return nil, fmt.Errorf("%d values for %d leaves × %d classes", len(tb.Value), leaves, C)
	}
	for off := 0; off < len(tb.Value); off += C {
		var s float64
		for _, v := range tb.Value[off : off+C] {
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("leaf %d: class count %v", off/C, v)
			}
			s += v
		}
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("leaf %d: class counts sum to %v", off/C, s)
		}
	}
	t.finish(pre, C)
	return t, nil
}

// SHA256Hex returns the hex sha256 of data.
func SHA256Hex(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

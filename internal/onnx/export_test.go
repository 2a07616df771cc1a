package onnx

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/onnx/onnxpb"
)

// blobs returns n rows of nf features around one centre per class, with a
// fraction of labels flipped so that trees grow impure leaves.
func blobs(n, nf, classes int, seed uint64) *ml.Dataset {
	r := rand.New(rand.NewPCG(seed, 3))
	d := &ml.Dataset{Name: "blobs"}
	for f := range nf {
		d.Features = append(d.Features, "f"+strconv.Itoa(f))
	}
	for c := range classes {
		d.Classes = append(d.Classes, "class "+strconv.Itoa(c))
	}
	for range n {
		c := r.IntN(classes)
		for f := range nf {
			d.X = append(d.X, float64(c*(f+1)%5)+r.NormFloat64())
		}
		if r.Float64() < 0.15 {
			c = r.IntN(classes)
		}
		d.Y = append(d.Y, c)
	}
	return d
}

func train(t testing.TB, d *ml.Dataset, kind string, forest ml.ForestParams) *ml.Model {
	t.Helper()
	res, err := ml.Train(context.Background(), d, d, ml.TrainOptions{ModelType: kind, Forest: forest, Seed: 7, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	return res.Model
}

func attrs(n *onnxpb.NodeProto) map[string]*onnxpb.AttributeProto {
	m := map[string]*onnxpb.AttributeProto{}
	for _, a := range n.GetAttribute() {
		m[a.GetName()] = a
	}
	return m
}

func node(t testing.TB, g *onnxpb.GraphProto, op string) *onnxpb.NodeProto {
	t.Helper()
	for _, n := range g.GetNode() {
		if n.GetOpType() == op {
			return n
		}
	}
	t.Fatalf("graph has no %s node", op)
	return nil
}

// ensembleProba evaluates a TreeEnsembleClassifier's attributes on row x
// the way the ONNX specification describes them (BRANCH_LEQ: x <= value
// takes the true branch; a leaf's votes add to its classes' scores).
func ensembleProba(t testing.TB, n *onnxpb.NodeProto, x []float32, C int) []float64 {
	a := attrs(n)
	treeIDs, nodeIDs := a["nodes_treeids"].GetInts(), a["nodes_nodeids"].GetInts()
	type key struct{ tree, node int64 }
	at := map[key]int{}
	for i := range treeIDs {
		at[key{treeIDs[i], nodeIDs[i]}] = i
	}
	votes := map[key][]int{}
	for i, tr := range a["class_treeids"].GetInts() {
		k := key{tr, a["class_nodeids"].GetInts()[i]}
		votes[k] = append(votes[k], i)
	}
	scores := make([]float64, C)
	for tree := int64(0); ; tree++ {
		i, ok := at[key{tree, 0}]
		if !ok {
			break
		}
		for string(a["nodes_modes"].GetStrings()[i]) != "LEAF" {
			if mode := string(a["nodes_modes"].GetStrings()[i]); mode != "BRANCH_LEQ" {
				t.Fatalf("node mode %s", mode)
			}
			next := a["nodes_falsenodeids"].GetInts()[i]
			if float64(x[a["nodes_featureids"].GetInts()[i]]) <= a["nodes_values_as_tensor"].GetT().GetDoubleData()[i] {
				next = a["nodes_truenodeids"].GetInts()[i]
			}
			i = at[key{tree, next}]
		}
		for _, v := range votes[key{tree, nodeIDs[i]}] {
			scores[a["class_ids"].GetInts()[v]] += a["class_weights_as_tensor"].GetT().GetDoubleData()[v]
		}
	}
	return scores
}

func TestExportForest(t *testing.T) {
	for _, classes := range []int{2, 3, 5} {
		t.Run(strconv.Itoa(classes)+" classes", func(t *testing.T) {
			d := blobs(600, 4, classes, uint64(classes))
			m := train(t, d, ml.RandomForest, ml.ForestParams{NEstimators: 9, MinSamplesLeaf: 2})
			mp, err := Build(m, &Options{ProducerVersion: "v9", SourceSHA256: "abc"})
			if err != nil {
				t.Fatal(err)
			}
			checkSignature(t, mp, m)
			g := mp.GetGraph()
			ops := []string{}
			for _, n := range g.GetNode() {
				ops = append(ops, n.GetOpType())
			}
			if !slices.Equal(ops, []string{"Cast", "TreeEnsembleClassifier", "ArgMax", "Gather"}) {
				t.Fatalf("operators %v", ops)
			}
			te := node(t, g, "TreeEnsembleClassifier")
			a := attrs(te)
			if te.GetDomain() != MLDomain || string(a["post_transform"].GetS()) != "NONE" || !slices.Equal(toStrings(a["classlabels_strings"].GetStrings()), m.Classes) {
				t.Errorf("classifier domain %q, attributes %v", te.GetDomain(), a)
			}
			total := 0
			for _, tr := range m.Forest.Trees {
				total += tr.NumNodes()
			}
			if len(a["nodes_treeids"].GetInts()) != total || len(a["nodes_values_as_tensor"].GetT().GetDoubleData()) != total {
				t.Errorf("%d nodes exported, forest has %d", len(a["nodes_treeids"].GetInts()), total)
			}
			// thresholds are the trainer's float32 values, unchanged
			i := 0
			for _, tr := range m.Forest.Trees {
				for _, n := range tr.Nodes() {
					v := a["nodes_values_as_tensor"].GetT().GetDoubleData()[i]
					if n.Feature >= 0 && (v != float64(n.Threshold) || float64(float32(v)) != v) {
						t.Fatalf("node %d: threshold %v exported as %v", i, n.Threshold, v)
					}
					i++
				}
			}
			nf, C := len(m.Features), len(m.Classes)
			want := make([]float64, C)
			x := make([]float32, nf)
			for r := range d.Rows() {
				for f := range nf {
					x[f] = float32(d.X[r*nf+f])
				}
				m.PredictProba(d.X[r*nf:(r+1)*nf], want)
				got := ensembleProba(t, te, x, C)
				for c := range C {
					if math.Abs(got[c]-want[c]) > 1e-12 {
						t.Fatalf("row %d: exported ensemble gives %v, trainer %v", r, got, want)
					}
				}
			}
		})
	}
}

func TestExportLogistic(t *testing.T) {
	d := blobs(500, 3, 4, 11)
	m := train(t, d, ml.LogisticRegression, ml.ForestParams{})
	mp, err := Build(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSignature(t, mp, m)
	g := mp.GetGraph()
	var w, b *onnxpb.TensorProto
	for _, in := range g.GetInitializer() {
		switch in.GetName() {
		case "coefficients":
			w = in
		case "intercepts":
			b = in
		}
	}
	l := m.Linear
	if w == nil || b == nil || !slices.Equal(w.GetDims(), []int64{3, 4}) || !slices.Equal(b.GetDoubleData(), l.Intercept) {
		t.Fatalf("initializers %v %v", w, b)
	}
	for c := range 4 {
		for j := range 3 {
			if w.GetDoubleData()[j*4+c] != l.Coef[c*3+j] {
				t.Fatalf("coefficient [%d,%d] = %v, want %v", j, c, w.GetDoubleData()[j*4+c], l.Coef[c*3+j])
			}
		}
	}
	if a := attrs(node(t, g, "Softmax")); a["axis"].GetI() != -1 {
		t.Errorf("softmax axis %d", a["axis"].GetI())
	}
}

// checkSignature checks versions, metadata, the input and the outputs.
func checkSignature(t *testing.T, mp *onnxpb.ModelProto, m *ml.Model) {
	t.Helper()
	if mp.GetIrVersion() != 8 || len(mp.GetOpsetImport()) != 2 || mp.GetOpsetImport()[0].GetVersion() != 17 ||
		mp.GetOpsetImport()[1].GetDomain() != "ai.onnx.ml" || mp.GetOpsetImport()[1].GetVersion() != 3 {
		t.Errorf("IR %d, opsets %v", mp.GetIrVersion(), mp.GetOpsetImport())
	}
	meta := map[string]string{}
	for _, p := range mp.GetMetadataProps() {
		meta[p.GetKey()] = p.GetValue()
	}
	if meta[MetaModelType] != m.Type || !strings.Contains(meta[MetaFeatures], `"`+m.Features[0]+`"`) || !strings.Contains(meta[MetaClasses], `"`+m.Classes[0]+`"`) {
		t.Errorf("metadata %v", meta)
	}
	g := mp.GetGraph()
	shape := func(v *onnxpb.ValueInfoProto) (int32, []string) {
		tt := v.GetType().GetTensorType()
		var dims []string
		for _, d := range tt.GetShape().GetDim() {
			if d.GetDimParam() != "" {
				dims = append(dims, d.GetDimParam())
			} else {
				dims = append(dims, strconv.FormatInt(d.GetDimValue(), 10))
			}
		}
		return tt.GetElemType(), dims
	}
	nf, C := strconv.Itoa(len(m.Features)), strconv.Itoa(len(m.Classes))
	if len(g.GetInput()) != 1 || g.GetInput()[0].GetName() != "input" {
		t.Fatalf("inputs %v", g.GetInput())
	}
	if et, dims := shape(g.GetInput()[0]); et != int32(onnxpb.TensorProto_FLOAT) || !slices.Equal(dims, []string{"N", nf}) {
		t.Errorf("input type %d %v", et, dims)
	}
	if len(g.GetOutput()) != 2 || g.GetOutput()[0].GetName() != "output_label" || g.GetOutput()[1].GetName() != "output_probability" {
		t.Fatalf("outputs %v", g.GetOutput())
	}
	if et, dims := shape(g.GetOutput()[0]); et != int32(onnxpb.TensorProto_STRING) || !slices.Equal(dims, []string{"N"}) {
		t.Errorf("label type %d %v", et, dims)
	}
	if et, dims := shape(g.GetOutput()[1]); et != int32(onnxpb.TensorProto_FLOAT) || !slices.Equal(dims, []string{"N", C}) {
		t.Errorf("probability type %d %v", et, dims)
	}
	am := attrs(node(t, g, "ArgMax"))
	if am["axis"].GetI() != 1 || am["keepdims"].GetI() != 0 || am["select_last_index"].GetI() != 0 {
		t.Errorf("argmax %v: the label must be the first most probable class", am)
	}
}

func toStrings(b [][]byte) []string {
	s := make([]string, len(b))
	for i, v := range b {
		s[i] = string(v)
	}
	return s
}

func TestExportDeterministic(t *testing.T) {
	m := train(t, blobs(300, 3, 3, 5), ml.RandomForest, ml.ForestParams{NEstimators: 4})
	a, err := Export(m, &Options{ProducerVersion: "v1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Export(m, &Options{ProducerVersion: "v1"})
	if !slices.Equal(a, b) {
		t.Fatal("two exports of one model differ")
	}
	var back onnxpb.ModelProto
	if err := proto.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	want, _ := Build(m, &Options{ProducerVersion: "v1"})
	if !proto.Equal(&back, want) {
		t.Fatal("decoded model differs from the built one")
	}
}

func TestExportRejects(t *testing.T) {
	m := train(t, blobs(100, 2, 2, 1), ml.RandomForest, ml.ForestParams{NEstimators: 2})
	for name, bad := range map[string]*ml.Model{
		"one class":   {Type: m.Type, Features: m.Features, Classes: m.Classes[:1], Forest: m.Forest},
		"no features": {Type: m.Type, Classes: m.Classes, Forest: m.Forest},
		"no model":    {Type: m.Type, Features: m.Features, Classes: m.Classes},
		"no trees":    {Type: m.Type, Features: m.Features, Classes: m.Classes, Forest: &ml.Forest{}},
		"linear shape": {Type: ml.LogisticRegression, Features: m.Features, Classes: m.Classes,
			Linear: &ml.Logistic{NumFeatures: 2, NumClasses: 2, Coef: []float64{1}, Intercept: []float64{0, 0}}},
	} {
		if _, err := Export(bad, nil); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v, want ErrUnsupported", name, err)
		}
	}
}

// TestONNXChecker runs the ONNX checker (with shape inference) of Debian's
// python3-onnx on exported models when it is installed.
func TestONNXChecker(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import onnx.checker").Run(); err != nil {
		t.Skipf("skipping: no ONNX checker (%s -c 'import onnx' failed: %v; apt-get install -y python3-onnx)", py, err)
	}
	dir := t.TempDir()
	var paths []string
	for _, kind := range []string{ml.RandomForest, ml.LogisticRegression} {
		for _, classes := range []int{2, 3} {
			b, err := Export(train(t, blobs(200, 3, classes, 2), kind, ml.ForestParams{NEstimators: 3}), nil)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, kind+strconv.Itoa(classes)+".onnx")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
	}
	script := "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint(onnx.__version__)\n"
	out, err := exec.Command(py, append([]string{"-c", script}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx checker: %v\n%s", err, out)
	}
	t.Logf("onnx %s checker accepts %d models", strings.TrimSpace(string(out)), len(paths))
}

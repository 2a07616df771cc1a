// Package onnx writes the trainer's models as ONNX models (model.onnx) that
// any ONNX runtime scores with the trainer's labels and probabilities.
//
// The graph takes one input, InputName, a float tensor [N, len(features)]
// in the model's feature order, and has two outputs named as skl2onnx names
// a classifier's outputs with zipmap disabled: LabelOutput, a string tensor
// [N] of class names, and ProbabilityOutput, a float tensor [N, len(classes)]
// in the model's class order (a plain tensor rather than ZipMap's list of
// maps: every runtime and numpy read it directly).
//
// A random forest becomes one ai.onnx.ml TreeEnsembleClassifier node (opset
// 3): every split is BRANCH_LEQ, the trainer's rule that float32(x) <=
// threshold goes left (true branch), with the trainer's float32 thresholds
// unchanged; every leaf votes its normalized class distribution divided by
// the number of trees, so the summed votes are the forest's average. The
// input is cast to double and the thresholds and votes are stored as double
// tensors (the *_as_tensor attributes), so that the runtime compares and
// sums in double precision as the trainer does; a float32 value cast to
// double compares with a float32 threshold exactly as in float32.
//
// A logistic regression becomes plain operators in double precision,
// Cast → MatMul → Add → Softmax, which is the trainer's softmax(W·x + b)
// (ai.onnx.ml's LinearClassifier holds float coefficients only and treats
// two classes specially).
//
// In both, the label is ArgMax of the probabilities (the first class on
// ties, like the trainer) gathered from the class names, rather than the
// classifier operators' own label, which onnxruntime derives differently
// for two classes.
//
// Versions: IR version 8 with the default opset 17 and ai.onnx.ml opset 3,
// the newest set ONNX 1.12 defines, so that the ONNX checker of Debian's
// python3-onnx (1.12) accepts it; runtimes read older versions than their
// own. Tested with onnxruntime 1.30.0; onnxruntime's version matrix pairs
// ONNX 1.12 with onnxruntime 1.13 (from memory, not verified here).
package onnx

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/frogbridge/frogbridge/internal/ml"
	"github.com/frogbridge/frogbridge/internal/onnx/onnxpb"
)

// Graph names and versions of exported models.
const (
	// InputName is the graph's input: float [N, features].
	InputName = "input"
	// LabelOutput is the predicted class name per row: string [N].
	LabelOutput = "output_label"
	// ProbabilityOutput holds the class probabilities: float [N, classes].
	ProbabilityOutput = "output_probability"

	// IRVersion is the ONNX IR version of exported models.
	IRVersion = 8
	// Opset is the default (ai.onnx) operator set version.
	Opset = 17
	// MLOpset is the ai.onnx.ml operator set version.
	MLOpset = 3
	// MLDomain is the domain of the traditional ML operators.
	MLDomain = "ai.onnx.ml"
)

// Metadata keys of exported models (ModelProto.metadata_props).
const (
	// MetaFeatures is the JSON array of feature names, the input's column
	// order (metadata.json's "features").
	MetaFeatures = "features"
	// MetaClasses is the JSON array of class names, the probability
	// columns' order (metadata.json's "target_classes").
	MetaClasses = "target_classes"
	// MetaModelType is "random_forest" or "logistic_regression".
	MetaModelType = "model_type"
	// MetaSourceSHA256 is the sha256 of the model.json the model was
	// exported from, when known.
	MetaSourceSHA256 = "model_sha256"
)

// Options describe the exported file. The zero value (or nil) is valid.
type Options struct {
	// ProducerVersion is the trainer version recorded as producer_version.
	ProducerVersion string
	// SourceSHA256 is the hex sha256 of the model.json file exported,
	// recorded under MetaSourceSHA256; "" leaves it out.
	SourceSHA256 string
}

// ProducerName is the producer_name of exported models.
const ProducerName = "frogbridge-trainer"

// ErrUnsupported is returned for a model that cannot be expressed.
var ErrUnsupported = errors.New("model cannot be exported to ONNX")

// Export returns the ONNX model of m, serialized deterministically: the
// same model and options always give the same bytes.
func Export(m *ml.Model, opts *Options) ([]byte, error) {
	mp, err := Build(m, opts)
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("export onnx: encode: %w", err)
	}
	return b, nil
}

// Build returns the ONNX model of m as a protobuf message.
func Build(m *ml.Model, opts *Options) (*onnxpb.ModelProto, error) {
	if opts == nil {
		opts = &Options{}
	}
	nf, C := len(m.Features), len(m.Classes)
	if nf == 0 || C < 2 {
		return nil, fmt.Errorf("export onnx: %d features and %d classes: %w", nf, C, ErrUnsupported)
	}
	g := &onnxpb.GraphProto{Name: proto.String("frogbridge_" + m.Type)}
	var err error
	switch {
	case m.Forest != nil:
		err = forestNodes(g, m)
	case m.Linear != nil:
		err = linearNodes(g, m)
	default:
		err = fmt.Errorf("export onnx: model has neither a forest nor a linear part: %w", ErrUnsupported)
	}
	if err != nil {
		return nil, err
	}
	features, _ := json.Marshal(m.Features)
	classes, _ := json.Marshal(m.Classes)
	g.DocString = proto.String("columns of " + InputName + ", in order: " + string(features))
	g.Input = []*onnxpb.ValueInfoProto{
		valueInfo(InputName, onnxpb.TensorProto_FLOAT, "features in this order: "+string(features), dim("N"), dimValue(nf)),
	}
	g.Output = []*onnxpb.ValueInfoProto{
		valueInfo(LabelOutput, onnxpb.TensorProto_STRING, "predicted class name", dim("N")),
		valueInfo(ProbabilityOutput, onnxpb.TensorProto_FLOAT, "class probabilities in this order: "+string(classes), dim("N"), dimValue(C)),
	}
	mp := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		ProducerName:    proto.String(ProducerName),
		ProducerVersion: proto.String(opts.ProducerVersion),
		Domain:          proto.String("io.frogbridge"),
		DocString:       proto.String("frogbridge " + m.Type + " classifier; inputs " + string(features) + ", classes " + string(classes)),
		OpsetImport: []*onnxpb.OperatorSetIdProto{
			{Domain: proto.String(""), Version: proto.Int64(Opset)},
			{Domain: proto.String(MLDomain), Version: proto.Int64(MLOpset)},
		},
		Graph: g,
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: proto.String(MetaFeatures), Value: proto.String(string(features))},
			{Key: proto.String(MetaClasses), Value: proto.String(string(classes))},
			{Key: proto.String(MetaModelType), Value: proto.String(m.Type)},
		},
	}
	if opts.SourceSHA256 != "" {
		mp.MetadataProps = append(mp.MetadataProps, &onnxpb.StringStringEntryProto{Key: proto.String(MetaSourceSHA256), Value: proto.String(opts.SourceSHA256)})
	}
	return mp, nil
}

// Internal value names.
const (
	inputDouble = "input_double"
	probaDouble = "probabilities_double"
	labelIndex  = "label_index"
	classNames  = "class_names"
)

// forestNodes adds the TreeEnsembleClassifier and the label tail.
func forestNodes(g *onnxpb.GraphProto, m *ml.Model) error {
	f := m.Forest
	C := len(m.Classes)
	if len(f.Trees) == 0 {
		return fmt.Errorf("export onnx: forest has no trees: %w", ErrUnsupported)
	}
	inv := 1 / float64(len(f.Trees))
	// Size every attribute once: a forest of synth100k has about 1.5
	// million nodes, and growing the slices by appending would hold up to
	// twice that, plus the garbage of each regrowth, at the export's peak.
	nNodes, nVotes := 0, 0
	for _, t := range f.Trees {
		for _, n := range t.Nodes() {
			nNodes++
			if n.Feature < 0 {
				for _, p := range n.Proba {
					if p != 0 || C <= 2 {
						nVotes++
					}
				}
			}
		}
	}
	treeIDs, nodeIDs, featureIDs := make([]int64, 0, nNodes), make([]int64, 0, nNodes), make([]int64, 0, nNodes)
	trueIDs, falseIDs := make([]int64, 0, nNodes), make([]int64, 0, nNodes)
	modes, values := make([][]byte, 0, nNodes), make([]float64, 0, nNodes)
	cTree, cNode, cClass := make([]int64, 0, nVotes), make([]int64, 0, nVotes), make([]int64, 0, nVotes)
	weights := make([]float64, 0, nVotes)
	// Every node shares one of two mode strings.
	leaf, branch := []byte("LEAF"), []byte("BRANCH_LEQ")
	for ti, t := range f.Trees {
		for ni, n := range t.Nodes() {
			treeIDs = append(treeIDs, int64(ti))
			nodeIDs = append(nodeIDs, int64(ni))
			if n.Feature < 0 {
				modes = append(modes, leaf)
				featureIDs = append(featureIDs, 0)
				values = append(values, 0)
				trueIDs = append(trueIDs, 0)
				falseIDs = append(falseIDs, 0)
				for c, p := range n.Proba {
					// zero votes are left out, except with two classes:
					// onnxruntime then needs class 1 scored at every leaf
					// to report both columns as they are
					if p == 0 && C > 2 {
						continue
					}
					cTree = append(cTree, int64(ti))
					cNode = append(cNode, int64(ni))
					cClass = append(cClass, int64(c))
					weights = append(weights, p*inv)
				}
				continue
			}
			if math.IsNaN(float64(n.Threshold)) || math.IsInf(float64(n.Threshold), 0) {
				return fmt.Errorf("export onnx: tree %d node %d: threshold %v: %w", ti, ni, n.Threshold, ErrUnsupported)
			}
			modes = append(modes, branch)
			featureIDs = append(featureIDs, int64(n.Feature))
			values = append(values, float64(n.Threshold))
			trueIDs = append(trueIDs, int64(n.Left))
			falseIDs = append(falseIDs, int64(n.Right))
		}
	}
	labels := make([][]byte, C)
	for c, s := range m.Classes {
		labels[c] = []byte(s)
	}
	g.Node = append(g.Node,
		&onnxpb.NodeProto{
			Name: proto.String("cast_input"), OpType: proto.String("Cast"),
			Input: []string{InputName}, Output: []string{inputDouble},
			Attribute: []*onnxpb.AttributeProto{intAttr("to", int64(onnxpb.TensorProto_DOUBLE))},
		},
		&onnxpb.NodeProto{
			Name: proto.String("forest"), OpType: proto.String("TreeEnsembleClassifier"), Domain: proto.String(MLDomain),
			Input: []string{inputDouble}, Output: []string{"forest_label", ProbabilityOutput},
			Attribute: []*onnxpb.AttributeProto{
				intsAttr("nodes_treeids", treeIDs),
				intsAttr("nodes_nodeids", nodeIDs),
				intsAttr("nodes_featureids", featureIDs),
				stringsAttr("nodes_modes", modes),
				tensorAttr("nodes_values_as_tensor", doubleTensor("nodes_values", values)),
				intsAttr("nodes_truenodeids", trueIDs),
				intsAttr("nodes_falsenodeids", falseIDs),
				intsAttr("class_treeids", cTree),
				intsAttr("class_nodeids", cNode),
				intsAttr("class_ids", cClass),
				tensorAttr("class_weights_as_tensor", doubleTensor("class_weights", weights)),
				stringsAttr("classlabels_strings", labels),
				stringAttr("post_transform", "NONE"),
			},
		},
	)
	return labelTail(g, m, ProbabilityOutput)
}

// linearNodes adds softmax(x·Wᵀ + b) in double and the label tail.
func linearNodes(g *onnxpb.GraphProto, m *ml.Model) error {
	l := m.Linear
	nf, C := l.NumFeatures, l.NumClasses
	if nf != len(m.Features) || C != len(m.Classes) || len(l.Coef) != nf*C || len(l.Intercept) != C {
		return fmt.Errorf("export onnx: logistic regression of %d×%d coefficients does not match %d features and %d classes: %w", C, nf, len(m.Features), len(m.Classes), ErrUnsupported)
	}
	// MatMul takes [features, classes]: the transpose of Coef
	wt := make([]float64, nf*C)
	for c := range C {
		for j := range nf {
			wt[j*C+c] = l.Coef[c*nf+j]
		}
	}
	w := doubleTensor("coefficients", wt)
	w.Dims = []int64{int64(nf), int64(C)}
	b := doubleTensor("intercepts", l.Intercept)
	g.Initializer = append(g.Initializer, w, b)
	g.Node = append(g.Node,
		&onnxpb.NodeProto{
			Name: proto.String("cast_input"), OpType: proto.String("Cast"),
			Input: []string{InputName}, Output: []string{inputDouble},
			Attribute: []*onnxpb.AttributeProto{intAttr("to", int64(onnxpb.TensorProto_DOUBLE))},
		},
		&onnxpb.NodeProto{Name: proto.String("linear"), OpType: proto.String("MatMul"), Input: []string{inputDouble, "coefficients"}, Output: []string{"scores_without_intercepts"}},
		&onnxpb.NodeProto{Name: proto.String("intercept"), OpType: proto.String("Add"), Input: []string{"scores_without_intercepts", "intercepts"}, Output: []string{"scores"}},
		&onnxpb.NodeProto{
			Name: proto.String("softmax"), OpType: proto.String("Softmax"), Input: []string{"scores"}, Output: []string{probaDouble},
			Attribute: []*onnxpb.AttributeProto{intAttr("axis", -1)},
		},
	)
	return labelTail(g, m, probaDouble)
}

// labelTail adds the outputs: the label is the class name at ArgMax of
// proba (first on ties), and the probabilities are proba, cast to float
// unless proba is already ProbabilityOutput.
func labelTail(g *onnxpb.GraphProto, m *ml.Model, proba string) error {
	names := &onnxpb.TensorProto{
		Name: proto.String(classNames), DataType: proto.Int32(int32(onnxpb.TensorProto_STRING)),
		Dims: []int64{int64(len(m.Classes))},
	}
	for _, c := range m.Classes {
		names.StringData = append(names.StringData, []byte(c))
	}
	g.Initializer = append(g.Initializer, names)
	g.Node = append(g.Node,
		&onnxpb.NodeProto{
			Name: proto.String("argmax"), OpType: proto.String("ArgMax"), Input: []string{proba}, Output: []string{labelIndex},
			Attribute: []*onnxpb.AttributeProto{intAttr("axis", 1), intAttr("keepdims", 0), intAttr("select_last_index", 0)},
		},
		&onnxpb.NodeProto{Name: proto.String("label"), OpType: proto.String("Gather"), Input: []string{classNames, labelIndex}, Output: []string{LabelOutput},
			Attribute: []*onnxpb.AttributeProto{intAttr("axis", 0)}},
	)
	if proba == ProbabilityOutput {
		return nil
	}
	g.Node = append(g.Node, &onnxpb.NodeProto{
		Name: proto.String("probabilities"), OpType: proto.String("Cast"), Input: []string{proba}, Output: []string{ProbabilityOutput},
		Attribute: []*onnxpb.AttributeProto{intAttr("to", int64(onnxpb.TensorProto_FLOAT))},
	})
	return nil
}

func valueInfo(name string, elem onnxpb.TensorProto_DataType, doc string, dims ...*onnxpb.TensorShapeProto_Dimension) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{
		Name:      proto.String(name),
		DocString: proto.String(doc),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(elem)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}

func dim(param string) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: param}}
}

func dimValue(n int) *onnxpb.TensorShapeProto_Dimension {
	return &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(n)}}
}

func doubleTensor(name string, v []float64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_DOUBLE)),
		Dims: []int64{int64(len(v))}, DoubleData: v,
	}
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func intsAttr(name string, v []int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func stringAttr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte(v)}
}

func stringsAttr(name string, v [][]byte) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_STRINGS.Enum(), Strings: v}
}

func tensorAttr(name string, t *onnxpb.TensorProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: t}
}

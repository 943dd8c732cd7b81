package native

import (
	"context"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

// treeModel is a one-node ai.onnx.ml model of a tree ensemble of one tree:
// node 0 sends x[0] <= 0.5 to leaf 1 (weight 10) and the rest to leaf 2
// (weight 20). mutate edits the attributes before the model is built.
func treeModel(classifier bool, mutate func(map[string]*onnx.Attribute)) *onnx.Model {
	floats := func(name string, v ...float32) *onnx.Attribute {
		return &onnx.Attribute{Name: name, Type: onnx.AttrFloats, Floats: v}
	}
	strs := func(name string, v ...string) *onnx.Attribute {
		return &onnx.Attribute{Name: name, Type: onnx.AttrStrings, Strings: v}
	}
	op, prefix := "TreeEnsembleRegressor", "target"
	if classifier {
		op, prefix = "TreeEnsembleClassifier", "class"
	}
	n := node(op, []string{"x"}, []string{"y"},
		aInts("nodes_treeids", 0, 0, 0), aInts("nodes_nodeids", 0, 1, 2), aInts("nodes_featureids", 0, 0, 0),
		aInts("nodes_truenodeids", 1, 0, 0), aInts("nodes_falsenodeids", 2, 0, 0),
		strs("nodes_modes", "BRANCH_LEQ", "LEAF", "LEAF"), floats("nodes_values", 0.5, 0, 0),
		aInts(prefix+"_treeids", 0, 0), aInts(prefix+"_nodeids", 1, 2), aInts(prefix+"_ids", 0, 0), floats(prefix+"_weights", 10, 20))
	if classifier {
		n.Outputs = []string{"label", "y"}
		n.Attrs["classlabels_int64s"] = aInts("classlabels_int64s", 7)
	}
	n.Domain = "ai.onnx.ml"
	if mutate != nil {
		mutate(n.Attrs)
	}
	m := model(13, []*onnx.Node{n}, []onnx.ValueInfo{input("x", tensor.Float32, -1, 2)}, []string{"y"}, nil)
	m.Opsets["ai.onnx.ml"] = 1
	return m
}

func TestTreeEnsembleRegressorRuns(t *testing.T) {
	s := mustSession(t, treeModel(false, nil), 1)
	out := mustRun(t, s, feeds("x", f32([]int{2, 2}, 0.25, 9, 0.75, 9)))
	assertClose(t, out["y"], f32([]int{2, 1}, 10, 20))
}

func TestTreeEnsembleErrors(t *testing.T) {
	set := func(a *onnx.Attribute) func(map[string]*onnx.Attribute) {
		return func(m map[string]*onnx.Attribute) { m[a.Name] = a }
	}
	tests := []struct {
		name       string
		classifier bool
		mutate     func(map[string]*onnx.Attribute)
		want       string
	}{
		{"node ids of the wrong type", false, set(aString("nodes_nodeids", "0")), "nodes_nodeids"},
		{"no nodes", false, set(aInts("nodes_nodeids")), "the ensemble has no nodes"},
		{"a nodes attribute too short", false, set(aInts("nodes_featureids", 0, 0)), "attribute nodes_featureids has 2 values for 3 nodes"},
		{"the first of two attributes too short", false, func(m map[string]*onnx.Attribute) {
			m["nodes_falsenodeids"] = aInts("nodes_falsenodeids", 2)
			m["nodes_treeids"] = aInts("nodes_treeids", 0, 0)
		}, "attribute nodes_treeids has 2 values for 3 nodes"},
		{"missing-value tracks too short", false, set(aInts("nodes_missing_value_tracks_true", 1)),
			"attribute nodes_missing_value_tracks_true has 1 values for 3 nodes"},
		{"node defined twice", false, set(aInts("nodes_nodeids", 0, 1, 1)), "node 1 of tree 0 is defined twice"},
		{"unknown mode", false, set(&onnx.Attribute{Name: "nodes_modes", Type: onnx.AttrStrings, Strings: []string{"BRANCH_XX", "LEAF", "LEAF"}}),
			`unsupported node mode "BRANCH_XX"`},
		{"negative feature", false, set(aInts("nodes_featureids", -1, 0, 0)), "node 0 of tree 0 has feature -1"},
		{"missing child", false, set(aInts("nodes_falsenodeids", 5, 0, 0)), "node 0 of tree 0 has a missing child"},
		{"weight on a branch", false, set(aInts("target_nodeids", 0, 2)), "target weight 0 refers to node 0 of tree 0, which is not a leaf"},
		{"n_targets zero", false, set(aInt("n_targets", 0)), "attribute n_targets is 0"},
		{"unknown aggregate", false, set(aString("aggregate_function", "MEDIAN")), `unsupported aggregate_function "MEDIAN"`},
		{"no class labels", true, func(m map[string]*onnx.Attribute) { delete(m, "classlabels_int64s") },
			"exactly one of classlabels_strings and classlabels_ints is required"},
		{"target out of range", false, set(aInts("target_ids", 0, 1)), "leaf weight for target 1 out of range [0, 1)"},
		{"class out of range", true, set(aInts("class_ids", 0, 3)), "leaf weight for class 3 out of range [0, 1)"},
		{"base values of the wrong length", false, set(&onnx.Attribute{Name: "base_values", Type: onnx.AttrFloats, Floats: []float32{1, 2}}),
			"2 base_values for 1 outputs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSession(context.Background(), treeModel(tc.classifier, tc.mutate), engine.Options{})
			if err == nil {
				t.Fatal("NewSession succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestTreeEnsembleClassifierRuns(t *testing.T) {
	m := treeModel(true, func(a map[string]*onnx.Attribute) {
		a["classlabels_int64s"] = aInts("classlabels_int64s", 7, 8)
		a["class_ids"] = aInts("class_ids", 0, 1)
	})
	m.Graph.Outputs = []onnx.ValueInfo{{Name: "label", Type: onnx.Type{Kind: onnx.KindTensor, DType: tensor.Int64}}, output("y")}
	out := mustRun(t, mustSession(t, m, 1), feeds("x", f32([]int{2, 2}, 0.25, 9, 0.75, 9)))
	if got := tensor.Data[int64](out["label"]); len(got) != 2 || got[0] != 7 || got[1] != 8 {
		t.Errorf("labels %v, want [7 8]", got)
	}
	assertClose(t, out["y"], f32([]int{2, 2}, 10, 0, 0, 20))
}

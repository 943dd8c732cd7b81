package onnx

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite testdata/fuzz/FuzzDecode from fuzzSeeds")

// FuzzDecode feeds arbitrary bytes to Decode (and, as the same bytes may
// parse as other messages, to DecodeTensor and DecodeValue). Nothing may
// panic, every error must wrap ErrInvalidModel, and every decoded graph must
// be in topological order.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := []Option{WithBaseDir("testdata"), WithMaxSparseBytes(1 << 20)}
		m, err := Decode(data, opts...)
		if err != nil && !errors.Is(err, ErrInvalidModel) {
			t.Fatalf("error does not wrap ErrInvalidModel: %v", err)
		}
		if err == nil {
			if err := checkTopological(m.Graph, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := DecodeTensor(data, opts...); err != nil && !errors.Is(err, ErrInvalidModel) {
			t.Fatalf("DecodeTensor error does not wrap ErrInvalidModel: %v", err)
		}
		for _, k := range []TypeKind{KindSequence, KindMap, KindOptional, KindSparseTensor} {
			if _, err := DecodeValue(data, Type{Kind: k}, opts...); err != nil && !errors.Is(err, ErrInvalidModel) {
				t.Fatalf("DecodeValue(%v) error does not wrap ErrInvalidModel: %v", k, err)
			}
		}
	})
}

// checkTopological verifies that every node input of g (and of its
// subgraphs) is defined before the node that reads it.
func checkTopological(g *Graph, outer *scope) error {
	if g == nil {
		return fmt.Errorf("decoded graph is nil")
	}
	s := &scope{names: map[string]bool{}, parent: outer}
	for name := range g.Initializers {
		s.names[name] = true
	}
	for _, vi := range g.Inputs {
		s.names[vi.Name] = true
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != "" && !s.has(in) {
				return fmt.Errorf("graph %q: node %q reads %q before it is defined", g.Name, n.Label(), in)
			}
		}
		for _, a := range n.Attrs {
			for _, sub := range subgraphs(a) {
				if err := checkTopological(sub, s); err != nil {
					return err
				}
			}
		}
		for _, out := range n.Outputs {
			s.names[out] = true
		}
	}
	return nil
}

// fuzzSeeds are the committed seed corpus: valid models (true) and broken
// ones (false).
func fuzzSeeds(t testing.TB) map[string]struct {
	data  []byte
	valid bool
} {
	tiny := readFile(t, filepath.Join("testdata", "tiny.onnx"))
	relu := func(f func(g *onnxpb.GraphProto)) []byte {
		m := modelProto(reluGraph())
		f(m.Graph)
		return marshal(t, m)
	}
	deepGraph := func(g *onnxpb.GraphProto) {
		g.Input = append(g.Input, vi("cond", tBool))
		sub := branch("leaf", "X", "t")
		for range maxDepth + 1 {
			n := nodeProto("If", []string{"cond"}, []string{"t"}, graphAttr("then_branch", sub))
			sub = &onnxpb.GraphProto{Name: proto.String("nest"), Node: []*onnxpb.NodeProto{n}, Output: []*onnxpb.ValueInfoProto{vi("t", tFloat)}}
		}
		g.Node = append(g.Node, sub.Node[0])
	}
	deepType := func(g *onnxpb.GraphProto) {
		ty := tensorTypeProto(tFloat)
		for range maxDepth + 1 {
			ty = seqOf(ty)
		}
		g.ValueInfo = []*onnxpb.ValueInfoProto{{Name: proto.String("s"), Type: ty}}
	}
	type seed = struct {
		data  []byte
		valid bool
	}
	return map[string]seed{
		"valid_relu":     {relu(func(*onnxpb.GraphProto) {}), true},
		"valid_tiny":     {tiny, true},
		"valid_control":  {readFile(t, filepath.Join("testdata", "control.onnx")), true},
		"valid_external": {readFile(t, filepath.Join("testdata", "external.onnx")), true},
		"valid_unsorted": {relu(func(g *onnxpb.GraphProto) {
			g.Node = []*onnxpb.NodeProto{nodeProto("Relu", []string{"a"}, []string{"Y"}), nodeProto("Abs", []string{"X"}, []string{"a"})}
		}), true},
		"valid_sparse": {relu(func(g *onnxpb.GraphProto) {
			g.SparseInitializer = []*onnxpb.SparseTensorProto{{Dims: []int64{2, 2}, Values: floatTensor("S", []int64{1}, 1),
				Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1, 2}, Int64Data: []int64{1, 1}}}}
		}), true},
		"bad_truncated": {tiny[:len(tiny)/2], false},
		"bad_no_graph":  {marshal(t, &onnxpb.ModelProto{IrVersion: proto.Int64(8)}), false},
		"bad_dangling":  {relu(func(g *onnxpb.GraphProto) { g.Node[0].Input[0] = "Z" }), false},
		"bad_cycle": {relu(func(g *onnxpb.GraphProto) {
			g.Node = []*onnxpb.NodeProto{nodeProto("Add", []string{"X", "c"}, []string{"Y"}), nodeProto("Relu", []string{"Y"}, []string{"c"})}
		}), false},
		"bad_negative_dims": {relu(func(g *onnxpb.GraphProto) {
			g.Initializer = []*onnxpb.TensorProto{floatTensor("W", []int64{-1, 2}, 1)}
		}), false},
		"bad_raw_length": {relu(func(g *onnxpb.GraphProto) {
			g.Initializer = []*onnxpb.TensorProto{{Name: proto.String("W"), DataType: proto.Int32(tFloat), Dims: []int64{1 << 20}, RawData: []byte{1, 2, 3, 4}}}
		}), false},
		"bad_sparse_huge": {relu(func(g *onnxpb.GraphProto) {
			g.SparseInitializer = []*onnxpb.SparseTensorProto{{Dims: []int64{1 << 15, 1 << 15}, Values: floatTensor("S", []int64{1}, 1),
				Indices: &onnxpb.TensorProto{DataType: proto.Int32(tInt64), Dims: []int64{1}, Int64Data: []int64{0}}}}
		}), false},
		"bad_external_escape": {marshal(t, externalModel("location", "../tiny.onnx")), false},
		"bad_deep_subgraphs":  {relu(deepGraph), false},
		"bad_deep_types":      {relu(deepType), false},
	}
}

// TestFuzzSeeds checks that each committed seed decodes (or fails) as its
// name says. Run it with -update-fuzz-seeds to rewrite the corpus from
// fuzzSeeds.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for name, s := range fuzzSeeds(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if *updateSeeds {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				file := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.data)
				if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			text := strings.TrimSpace(strings.TrimPrefix(string(readFile(t, path)), "go test fuzz v1\n"))
			quoted, ok := strings.CutPrefix(text, "[]byte(")
			quoted, ok2 := strings.CutSuffix(quoted, ")")
			data, err := strconv.Unquote(quoted)
			if !ok || !ok2 || err != nil {
				t.Fatalf("%s is not a []byte corpus entry: %v", path, err)
			}
			_, err = Decode([]byte(data), WithBaseDir("testdata"), WithMaxSparseBytes(1<<20))
			if s.valid && err != nil {
				t.Errorf("valid seed: %v", err)
			}
			if !s.valid && !errors.Is(err, ErrInvalidModel) {
				t.Errorf("broken seed: got %v, want an ErrInvalidModel", err)
			}
		})
	}
}

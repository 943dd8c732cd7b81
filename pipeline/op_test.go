package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

func f32(shape []int, xs ...float32) *tensor.Tensor { return tensor.MustFromSlice(xs, shape...) }
func i64(xs ...int64) *tensor.Tensor                { return tensor.MustFromSlice(xs, len(xs)) }

// makeOp makes the named op from YAML args.
func makeOp(t *testing.T, name, args string) op {
	t.Helper()
	var n yaml.Node
	if args != "" {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(args), &doc); err != nil {
			t.Fatal(err)
		}
		n = *doc.Content[0]
	}
	o, err := ops[name](opEnv{args: &n})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOps(t *testing.T) {
	scores := f32([]int{2, 3}, 0.1, 0.7, 0.2, 0.5, 0.4, 0.5)
	img := f32([]int{1, 1, 2, 4}, 0, 1, 2, 3, 4, 5, 6, 7)
	cases := []struct {
		name, op, args string
		in             map[string]*tensor.Tensor
		want           map[string]*tensor.Tensor
	}{
		{"argmax", "argmax", "", map[string]*tensor.Tensor{"x": scores},
			map[string]*tensor.Tensor{"index": i64(1, 0), "score": f32([]int{2}, 0.7, 0.5)}},
		{"topk ties to the lower index", "topk", "k: 2", map[string]*tensor.Tensor{"x": scores},
			map[string]*tensor.Tensor{"indices": tensor.MustFromSlice([]int64{1, 2, 0, 2}, 2, 2), "scores": f32([]int{2, 2}, 0.7, 0.2, 0.5, 0.5)}},
		{"threshold keeps rows", "threshold", "min: 0.6", map[string]*tensor.Tensor{"scores": f32([]int{2}, 0.7, 0.5), "boxes": f32([]int{2, 2}, 1, 2, 3, 4)},
			map[string]*tensor.Tensor{"scores": f32([]int{1}, 0.7), "boxes": f32([]int{1, 2}, 1, 2), "indices": i64(0)}},
		{"concat in name order", "concat", "", map[string]*tensor.Tensor{"b": f32([]int{1, 1}, 2), "a": f32([]int{2, 1}, 0, 1)},
			map[string]*tensor.Tensor{"output": f32([]int{3, 1}, 0, 1, 2)}},
		{"split", "split", "sizes: [1, 2]", map[string]*tensor.Tensor{"x": f32([]int{3, 1}, 0, 1, 2)},
			map[string]*tensor.Tensor{"part0": f32([]int{1, 1}, 0), "part1": f32([]int{2, 1}, 1, 2)}},
		{"gather", "gather", "", map[string]*tensor.Tensor{"x": f32([]int{3, 1}, 0, 1, 2), "indices": i64(2, 2, 0)},
			map[string]*tensor.Tensor{"output": f32([]int{3, 1}, 2, 2, 0)}},
		{"labels", "labels", "labels: [zero, one]", map[string]*tensor.Tensor{"index": i64(1, 0)},
			map[string]*tensor.Tensor{"label": tensor.MustFromSlice([]string{"one", "zero"}, 2)}},
		{"ensemble vote", "ensemble", "mode: vote", map[string]*tensor.Tensor{"a": scores, "b": scores, "c": f32([]int{2, 3}, 0, 0, 1, 0, 1, 0)},
			map[string]*tensor.Tensor{"output": i64(1, 0)}},
		{"ensemble concat", "ensemble", "mode: concat", map[string]*tensor.Tensor{"a": f32([]int{1, 1}, 1), "b": f32([]int{1, 2}, 2, 3)},
			map[string]*tensor.Tensor{"output": f32([]int{1, 3}, 1, 2, 3)}},
		{"ensemble mean", "ensemble", "mode: mean", map[string]*tensor.Tensor{"a": f32([]int{1, 2}, 1, 2), "b": f32([]int{1, 2}, 3, 6)},
			map[string]*tensor.Tensor{"output": f32([]int{1, 2}, 2, 4)}},
		{"first", "first", "", map[string]*tensor.Tensor{"b": f32([]int{1}, 2)},
			map[string]*tensor.Tensor{"output": f32([]int{1}, 2)}},
		{"crop_resize identity", "crop_resize", "{width: 4, height: 2}", map[string]*tensor.Tensor{"images": img, "boxes": f32([]int{1, 4}, 0, 0, 4, 2)},
			map[string]*tensor.Tensor{"crops": img}},
		{"crop_resize halves", "crop_resize", "{width: 1, height: 1}", map[string]*tensor.Tensor{"images": img, "boxes": f32([]int{2, 4}, 0, 0, 2, 2, 2, 0, 4, 2), "image_index": i64(0, 0)},
			map[string]*tensor.Tensor{"crops": f32([]int{2, 1, 1, 1}, 2.5, 4.5)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := makeOp(t, c.op, c.args)
			decl := map[string]engine.TensorInfo{}
			for n, x := range c.in {
				decl[n] = engine.TensorInfo{Name: n, DType: x.DType(), Shape: x.Shape()}
			}
			outs, err := o.outputs(decl)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]*tensor.Tensor{}
			if err := o.run(c.in, got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) || len(outs) != len(c.want) {
				t.Fatalf("outputs %v (declared %v), want %v", got, outs, c.want)
			}
			for _, d := range outs {
				g, w := got[d.Name], c.want[d.Name]
				if w == nil || g.DType() != d.DType || !engine.ShapesCompatible(g.Shape(), d.Shape) {
					t.Fatalf("%s: got %v, declared %v", d.Name, g, d)
				}
				if !reflect.DeepEqual(g.Shape(), w.Shape()) || !reflect.DeepEqual(g.Data(), w.Data()) {
					t.Errorf("%s = %v %v, want %v %v", d.Name, g, g.Data(), w, w.Data())
				}
			}
		})
	}
}

func TestOpRunErrors(t *testing.T) {
	cases := []struct {
		name, op, args string
		in             map[string]*tensor.Tensor
		want           string
	}{
		{"gather out of range", "gather", "", map[string]*tensor.Tensor{"x": f32([]int{1, 1}, 0), "indices": i64(1)}, "row 1 is out of range"},
		{"labels out of range", "labels", "labels: [a]", map[string]*tensor.Tensor{"index": i64(3)}, "class 3 has no label"},
		{"empty box", "crop_resize", "{width: 1, height: 1}", map[string]*tensor.Tensor{"images": f32([]int{1, 1, 1, 1}, 0), "boxes": f32([]int{1, 4}, 1, 1, 1, 2)}, "box 0"},
		{"box in a missing image", "crop_resize", "{width: 1, height: 1}", map[string]*tensor.Tensor{"images": f32([]int{1, 1, 1, 1}, 0), "boxes": f32([]int{1, 4}, 0, 0, 1, 1), "image_index": i64(4)}, "image 4 of 1"},
		{"gather over the output limit", "gather", "", map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, 1, 1<<16), "indices": tensor.New(tensor.Int64, 1025)}, "more than the limit"},
		{"crop_resize over the output limit", "crop_resize", "{width: 4096, height: 4096}", map[string]*tensor.Tensor{"images": f32([]int{1, 1, 1, 1}, 0), "boxes": tensor.MustFromSlice(make([]float32, 5*4), 5, 4)}, "more than the limit"},
		{"split rows", "split", "sizes: [1, 1]", map[string]*tensor.Tensor{"x": f32([]int{3}, 0, 1, 2)}, "add up to 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := makeOp(t, c.op, c.args).run(c.in, map[string]*tensor.Tensor{})
			if err == nil || !strings.Contains(err.Error(), c.want) || !isInvalidInput(err) {
				t.Fatalf("err %v, want an invalid input error with %q", err, c.want)
			}
		})
	}
}

func isInvalidInput(err error) bool {
	return strings.Contains(err.Error(), engine.ErrInvalidInput.Error())
}

func TestParse(t *testing.T) {
	base := "inputs: [{name: x, datatype: FP32}]\n"
	cases := []struct{ spec, want string }{
		{"steps: [{name: a, op: argmax, inputs: {x: pipeline.inputs.x}}]\noutputs: [{name: y, from: a.outputs.index}]", ""},
		{"steps: [{name: a, op: argmax, model: m}]\noutputs: [{name: y, from: a.outputs.index}]", "exactly one of model and op"},
		{"steps: [{name: a, op: argmax, inputs: {x: x}}]\noutputs: [{name: y, from: a.outputs.index}]", `"x" is not pipeline.inputs.NAME or STEP.outputs.NAME`},
		{"steps: [{name: a, op: argmax, inputs: {zz: z, x: x, y: pipeline.inputs.x, m: m, b: b}}]\noutputs: [{name: y, from: a.outputs.index}]", `step "a": inputs.b: "b" is not`},
		{"steps: [{name: a, op: argmax}, {name: a, op: argmax}]\noutputs: [{name: y, from: a.outputs.index}]", `step name "a" is used twice`},
		{"steps: [{name: pipeline, op: argmax}]\noutputs: [{name: y, from: a.outputs.index}]", `step name "pipeline" is used twice (or is reserved)`},
		{"steps: [{name: a, op: argmax, when: {tensor: pipeline.inputs.x, op: gte}}]\noutputs: [{name: y, from: a.outputs.index}]", `when.op: "gte"`},
		{"steps: [{name: a, op: argmax, timeout: -1s}]\noutputs: [{name: y, from: a.outputs.index}]", "timeout: must not be negative"},
		{"steps: [{name: a, op: argmax}]\noutputs: []", "outputs: at least one"},
		{"steps: [{name: a, op: argmax}]\noutputs: [{name: y, from: a.outputs.index}]\nextra: 1", "field extra not found"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			for range 20 { // the same error every time, whatever a map's order
				_, err := Parse([]byte(base + c.spec))
				if c.want == "" {
					if err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err %v, want %q", err, c.want)
				}
			}
		})
	}
}

// TestSpecNames: what a spec depends on is its model steps' models and
// the labels step's model, once each and sorted.
func TestSpecNames(t *testing.T) {
	s, err := Parse([]byte(`inputs: [{name: x, datatype: FP32}]
steps:
  - {name: b, model: zeta, inputs: {input: pipeline.inputs.x}}
  - {name: a, model: alpha, version: "2", inputs: {input: pipeline.inputs.x}}
  - {name: c, op: argmax, inputs: {x: a.outputs.y}}
  - {name: d, op: labels, args: {model: mid}, inputs: {index: c.outputs.index}}
  - {name: e, op: labels, args: {model: zeta}, inputs: {index: c.outputs.index}}
outputs: [{name: y, from: d.outputs.label}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Names(), []string{"alpha", "mid", "zeta"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
}

package native

import (
	"strings"
	"testing"

	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/tensor"
)

func TestEinsum(t *testing.T) {
	a := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	b := f32([]int{3, 2}, 1, 0, 0, 1, 1, 1)
	sq := f32([]int{2, 2}, 1, 2, 3, 4)
	tests := []struct {
		eq   string
		in   []*tensor.Tensor
		want *tensor.Tensor
	}{
		{"ij,jk->ik", []*tensor.Tensor{a, b}, f32([]int{2, 2}, 4, 5, 10, 11)},
		{"ij->ji", []*tensor.Tensor{a}, f32([]int{3, 2}, 1, 4, 2, 5, 3, 6)},
		{"ji", []*tensor.Tensor{a}, f32([]int{3, 2}, 1, 4, 2, 5, 3, 6)}, // implicit: labels alphabetically
		{"ij->", []*tensor.Tensor{a}, f32(nil, 21)},
		{"ii->i", []*tensor.Tensor{sq}, f32([]int{2}, 1, 4)},
		{"ii", []*tensor.Tensor{sq}, f32(nil, 5)}, // implicit trace
		{"...j,j->...", []*tensor.Tensor{a, f32([]int{3}, 1, 1, 1)}, f32([]int{2}, 6, 15)},
		{"ij,ij->ij", []*tensor.Tensor{a, f32([]int{1, 3}, 2, 0, 1)}, f32([]int{2, 3}, 2, 0, 3, 8, 0, 6)}, // broadcast
	}
	for _, tc := range tests {
		t.Run(tc.eq, func(t *testing.T) {
			out, err := runEinsum(t, tc.eq, tc.in...)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, out, tc.want)
		})
	}
}

func TestEinsumErrors(t *testing.T) {
	a := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	tests := []struct {
		name string
		eq   string
		in   []*tensor.Tensor
		want string
	}{
		{"invalid term", "i1,j->ij", []*tensor.Tensor{a, a}, `invalid einsum term "i1"`},
		{"operands for inputs", "ij->ij", []*tensor.Tensor{a, a}, `equation "ij->ij" has 1 operands for 2 inputs`},
		{"term of the wrong rank", "ijk->i", []*tensor.Tensor{a}, `Einsum term "ijk" does not match input of shape [2 3]`},
		{"ellipsis term wider than the input", "ijk...->i", []*tensor.Tensor{a}, `Einsum term "ijk..." does not match input of shape [2 3]`},
		{"label sizes differ", "ij,ij->i", []*tensor.Tensor{a, f32([]int{2, 2}, 1, 2, 3, 4)}, `Einsum label 'j' has sizes 3 and 2`},
		{"output repeats a label", "ij->ii", []*tensor.Tensor{a}, `Einsum output "ii" repeats a label`},
		{"output label in no input", "ij->k", []*tensor.Tensor{a}, `Einsum output label 'k' is not in any input`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runEinsum(t, tc.eq, tc.in...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// runEinsum runs one Einsum node of equation eq on inputs named x0, x1, ...
func runEinsum(t *testing.T, eq string, in ...*tensor.Tensor) (*tensor.Tensor, error) {
	t.Helper()
	names := make([]string, len(in))
	fs := map[string]*tensor.Tensor{}
	for i, x := range in {
		names[i] = "x" + string(rune('0'+i))
		fs[names[i]] = x
	}
	out, err := runOp(t, 12, node("Einsum", names, []string{"y"}, &onnx.Attribute{Name: "equation", Type: onnx.AttrString, String: eq}), fs, nil)
	if err != nil {
		return nil, err
	}
	return out["y"], nil
}

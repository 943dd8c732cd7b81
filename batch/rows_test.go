package batch

import (
	"testing"

	"github.com/inferd/inferd/tensor"
)

// TestBatchRows: a request's batch is its inputs' common first dimension;
// the errors name inputs in name order, the same every time whatever the
// map's order.
func TestBatchRows(t *testing.T) {
	rows := func(n int) *tensor.Tensor { return tensor.New(tensor.Float32, n, 2) }
	scalar := tensor.Scalar(float32(1))
	tests := []struct {
		name   string
		inputs map[string]*tensor.Tensor
		want   int
		err    string
	}{
		{"one input", map[string]*tensor.Tensor{"x": rows(3)}, 3, ""},
		{"agreeing inputs", map[string]*tensor.Tensor{"x": rows(3), "y": rows(3), "z": rows(3)}, 3, ""},
		{"no inputs", map[string]*tensor.Tensor{}, 0, "request has no rows to batch"},
		{"no rows", map[string]*tensor.Tensor{"x": rows(0)}, 0, "request has no rows to batch"},
		{"scalars", map[string]*tensor.Tensor{"x": rows(3), "q": scalar, "m": scalar, "z": scalar}, 0,
			`input "m" is a scalar; batching needs a batch dimension`},
		{"disagreeing", map[string]*tensor.Tensor{"e": rows(3), "k": rows(5), "c": rows(2), "w": rows(5), "g": rows(2)}, 0,
			`inputs disagree on the batch size: "e" has 3 rows, "c" has 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // map order varies from one call to the next
				got, err := batchRows(tt.inputs)
				if tt.err == "" && (err != nil || got != tt.want) || tt.err != "" && (err == nil || err.Error() != tt.err) {
					t.Fatalf("batchRows = %d, %v; want %d, %q", got, err, tt.want, tt.err)
				}
			}
		})
	}
	agree := map[string]*tensor.Tensor{"x": rows(3), "y": rows(3)}
	if n := testing.AllocsPerRun(10, func() { _, _ = batchRows(agree) }); n != 0 {
		t.Errorf("batchRows of a good request allocates %v objects, want 0", n)
	}
}

package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// Split bounds the rows of one engine run: a request of more than maxRows
// rows runs as consecutive slices of at most maxRows rows, whose outputs
// are joined along the first dimension. An engine's working memory grows
// with the rows of a run, so this bounds it whatever the size of the
// request (the request's own bytes are charged by the server's budget
// before it is decoded).
//
// It is correct only for models whose rows are independent, which is what
// a variable first dimension on every input and output declares; Split
// returns nil (no wrapper) when that is not the case or maxRows <= 0.
// The slices share the request's data; each slice's outputs are released
// to the join as soon as the next one runs.
func Split(maxRows int, inputs, outputs []engine.TensorInfo) Wrapper {
	if maxRows <= 0 || !RowsIndependent(inputs, outputs) {
		return nil
	}
	return func(next Runner) Runner { return &split{next: next, maxRows: maxRows} }
}

// RowsIndependent reports whether every input and output has a variable
// first (batch) dimension, so that a run's rows may be run apart or
// together.
func RowsIndependent(inputs, outputs []engine.TensorInfo) bool {
	_, fixed := FixedRows(inputs, outputs)
	return len(inputs) > 0 && len(outputs) > 0 && !fixed
}

// FixedRows returns the first input or output whose first dimension is
// not variable (or that is a scalar): what keeps a model's rows from being
// run apart or batched together.
func FixedRows(inputs, outputs []engine.TensorInfo) (engine.TensorInfo, bool) {
	for _, infos := range [][]engine.TensorInfo{inputs, outputs} {
		for _, in := range infos {
			if len(in.Shape) == 0 || in.Shape[0] != -1 {
				return in, true
			}
		}
	}
	return engine.TensorInfo{}, false
}

type split struct {
	next    Runner
	maxRows int
}

func (s *split) Inputs() []engine.TensorInfo  { return s.next.Inputs() }
func (s *split) Outputs() []engine.TensorInfo { return s.next.Outputs() }

// Recycle implements engine.Recycler: a run of at most maxRows rows hands
// the session's outputs on as they are, and the sessions ignore the
// outputs Split joins from several runs.
func (s *split) Recycle(outputs []*tensor.Tensor) { Recycle(s.next, outputs) }

func (s *split) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	rows := BatchRows(inputs)
	if rows <= s.maxRows {
		return s.next.Run(ctx, inputs)
	}
	slices, err := sliceRows(inputs, rows, s.maxRows)
	if err != nil {
		return nil, err
	}
	parts := make(map[string][]*tensor.Tensor)
	for i, in := range slices {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out, err := s.next.Run(ctx, in)
		if err != nil {
			return nil, err
		}
		n := BatchRows(in)
		for name, t := range out {
			if t.Rank() == 0 || t.Shape()[0] != n {
				return nil, fmt.Errorf("output %q has shape %v for a run of %d rows: its rows do not follow the inputs' (set max_run_rows: -1 in config.yaml)", name, t.Shape(), n)
			}
			parts[name] = append(parts[name], t)
		}
		slices[i] = nil
	}
	joined := make(map[string]*tensor.Tensor, len(parts))
	for name, ts := range parts {
		t, err := tensor.Concat(ts...)
		if err != nil {
			return nil, fmt.Errorf("joining output %q: %w", name, err)
		}
		joined[name] = t
	}
	return joined, nil
}

// sliceRows cuts every input into consecutive slices of at most maxRows
// rows: slice i of the result holds every input's slice i.
func sliceRows(inputs map[string]*tensor.Tensor, rows, maxRows int) ([]map[string]*tensor.Tensor, error) {
	sizes := make([]int, 0, (rows+maxRows-1)/maxRows)
	for left := rows; left > 0; left -= maxRows {
		sizes = append(sizes, min(left, maxRows))
	}
	out := make([]map[string]*tensor.Tensor, len(sizes))
	for i := range out {
		out[i] = make(map[string]*tensor.Tensor, len(inputs))
	}
	for _, name := range slices.Sorted(maps.Keys(inputs)) { // the same error every time
		t := inputs[name]
		if t.Rank() == 0 || t.Shape()[0] != rows {
			return nil, fmt.Errorf("%w: input %q has shape %v; every input of this model needs the same first (batch) dimension, %d", engine.ErrInvalidInput, name, t.Shape(), rows)
		}
		pieces, err := tensor.Split(t, sizes)
		if err != nil {
			return nil, fmt.Errorf("%w: input %q: %v", engine.ErrInvalidInput, name, err)
		}
		for i, p := range pieces {
			out[i][name] = p
		}
	}
	return out, nil
}

package native

import (
	"fmt"
	"math"
	"strings"

	"github.com/inferd/inferd/tensor"
)

// The recurrent operators RNN, GRU and LSTM: forward, reverse or
// bidirectional, optional biases, initial states, sequence lengths and
// (LSTM) peepholes, clip, custom activations, GRU's linear_before_reset,
// LSTM's input_forget and the batch-major layout of opset 14. Float32
// inputs run rnn_fast.go; the rest is computed here in float64, one time
// step at a time.

func init() {
	register("RNN", func(b *buildCtx) (kernel, error) { return buildRNN(b, rnnPlain) })
	register("GRU", func(b *buildCtx) (kernel, error) { return buildRNN(b, rnnGRU) })
	register("LSTM", func(b *buildCtx) (kernel, error) { return buildRNN(b, rnnLSTM) })
}

type rnnKind int

const (
	rnnPlain rnnKind = iota
	rnnGRU
	rnnLSTM
)

// gates is the number of gate blocks in W and R; acts the activations per
// direction.
func (k rnnKind) gates() int { return [...]int{1, 3, 4}[k] }
func (k rnnKind) acts() int  { return [...]int{1, 2, 3}[k] }

type rnnKernel struct {
	kind         rnnKind
	hidden       int
	dirs         int
	reverse      bool // single direction, reversed
	clip         float64
	acts         []activation
	linearBefore bool
	inputForget  bool
	batchMajor   bool
	// The float32 path's (rnn_fast.go): the tap offsets of Rᵀ's rows,
	// whether the gates are vectorised, and constant weights packed.
	offs []int
	vec  bool
	pre  *rnnConst
}

// activation is one of the functions the recurrent operators accept.
type activation func(float64) float64

func buildRNN(b *buildCtx, kind rnnKind) (kernel, error) {
	k := &rnnKernel{kind: kind, dirs: 1}
	hs, err := b.intAttr("hidden_size", 0)
	if err != nil {
		return nil, err
	}
	if hs < 1 || hs > 1<<16 {
		return nil, b.errorf("attribute hidden_size is %d, want a positive value", hs)
	}
	k.hidden = int(hs)
	dir, err := b.stringAttr("direction", "forward")
	if err != nil {
		return nil, err
	}
	switch dir {
	case "forward":
	case "reverse":
		k.reverse = true
	case "bidirectional":
		k.dirs = 2
	default:
		return nil, b.errorf("attribute direction is %q", dir)
	}
	clip, err := b.floatAttr("clip", 0)
	if err != nil {
		return nil, err
	}
	k.clip = float64(clip)
	if k.linearBefore, err = b.boolAttr("linear_before_reset", false); err != nil {
		return nil, err
	}
	if k.inputForget, err = b.boolAttr("input_forget", false); err != nil {
		return nil, err
	}
	layout, err := b.intAttr("layout", 0)
	if err != nil {
		return nil, err
	}
	k.batchMajor = layout == 1
	names, err := b.stringsAttr("activations")
	if err != nil {
		return nil, err
	}
	if names == nil {
		def := [][]string{{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}}[kind]
		for range k.dirs {
			names = append(names, def...)
		}
	}
	if len(names) != kind.acts()*k.dirs {
		return nil, b.errorf("%d activations given, want %d", len(names), kind.acts()*k.dirs)
	}
	alphas, err := b.floatsAttr("activation_alpha")
	if err != nil {
		return nil, err
	}
	betas, err := b.floatsAttr("activation_beta")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		f, err := makeActivation(name, &alphas, &betas)
		if err != nil {
			return nil, b.errorf("%v", err)
		}
		k.acts = append(k.acts, f)
	}
	k.prepare(b, names)
	return k, nil
}

// makeActivation builds a named activation, consuming its alpha and beta
// from the front of the lists when it takes them.
func makeActivation(name string, alphas, betas *[]float32) (activation, error) {
	param := func(list *[]float32, def float64) float64 {
		if len(*list) == 0 {
			return def
		}
		v := float64((*list)[0])
		*list = (*list)[1:]
		return v
	}
	switch strings.ToLower(name) {
	case "relu":
		return func(x float64) float64 { return max(x, 0) }, nil
	case "tanh":
		return math.Tanh, nil
	case "sigmoid":
		return sigmoid, nil
	case "affine":
		a, b := param(alphas, 1), param(betas, 0)
		return func(x float64) float64 { return a*x + b }, nil
	case "leakyrelu":
		a := param(alphas, 0.01)
		return func(x float64) float64 { return map[bool]float64{true: x, false: a * x}[x >= 0] }, nil
	case "thresholdedrelu":
		a := param(alphas, 1)
		return func(x float64) float64 { return map[bool]float64{true: x, false: 0}[x > a] }, nil
	case "scaledtanh":
		a, b := param(alphas, 1), param(betas, 1)
		return func(x float64) float64 { return a * math.Tanh(b*x) }, nil
	case "hardsigmoid":
		a, b := param(alphas, 0.2), param(betas, 0.5)
		return func(x float64) float64 { return max(0, min(1, a*x+b)) }, nil
	case "elu":
		a := param(alphas, 1)
		return func(x float64) float64 { return map[bool]float64{true: x, false: a * (math.Exp(x) - 1)}[x >= 0] }, nil
	case "softsign":
		return func(x float64) float64 { return x / (1 + math.Abs(x)) }, nil
	case "softplus":
		return func(x float64) float64 { return math.Log1p(math.Exp(x)) }, nil
	}
	return nil, fmt.Errorf("unsupported activation %q", name)
}

// rnnInputs are the operator's inputs as float64, nil when absent.
type rnnInputs struct {
	x, w, r, bias, initH, initC, peep []float64
	lens                              []int
	seq, batch, input                 int
}

func (k *rnnKernel) inputs(in []*tensor.Tensor) (*rnnInputs, error) {
	get := func(i int) (*tensor.Tensor, []float64, error) {
		if i >= len(in) || in[i] == nil {
			return nil, nil, nil
		}
		v, err := floatsOf(in[i])
		return in[i], v, err
	}
	ri := &rnnInputs{}
	x, xv, err := get(0)
	if err != nil || x == nil || x.Rank() != 3 {
		return nil, fmt.Errorf("X must be a 3-D float tensor")
	}
	ri.x = xv
	ri.seq, ri.batch, ri.input = x.Shape()[0], x.Shape()[1], x.Shape()[2]
	if k.batchMajor {
		ri.seq, ri.batch = ri.batch, ri.seq
	}
	g, h := k.kind.gates(), k.hidden
	want := []struct {
		i int
		n int
		v *[]float64
	}{
		{1, k.dirs * g * h * ri.input, &ri.w}, {2, k.dirs * g * h * h, &ri.r}, {3, k.dirs * 2 * g * h, &ri.bias},
		{5, k.dirs * ri.batch * h, &ri.initH}, {6, k.dirs * ri.batch * h, &ri.initC}, {7, k.dirs * 3 * h, &ri.peep},
	}
	for _, wv := range want {
		if k.kind != rnnLSTM && wv.i > 5 {
			continue
		}
		t, v, err := get(wv.i)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", wv.i, err)
		}
		if t != nil && len(v) != wv.n {
			return nil, fmt.Errorf("input %d has shape %v, want %d elements", wv.i, t.Shape(), wv.n)
		}
		*wv.v = v
	}
	if ri.w == nil || ri.r == nil {
		return nil, fmt.Errorf("inputs W and R are required")
	}
	if len(in) > 4 && in[4] != nil {
		if ri.lens, err = intsOf(in[4]); err != nil || len(ri.lens) != ri.batch {
			return nil, fmt.Errorf("sequence_lens must hold %d int32 values", ri.batch)
		}
	}
	if k.batchMajor {
		// Move to [batch, seq] order's transpose: seq-major.
		t := make([]float64, len(ri.x))
		for b := range ri.batch {
			for s := range ri.seq {
				copy(t[(s*ri.batch+b)*ri.input:(s*ri.batch+b+1)*ri.input], ri.x[(b*ri.seq+s)*ri.input:(b*ri.seq+s+1)*ri.input])
			}
		}
		ri.x = t
		if ri.initH != nil {
			ri.initH = swap01(ri.initH, ri.batch, k.dirs, h)
		}
		if ri.initC != nil {
			ri.initC = swap01(ri.initC, ri.batch, k.dirs, h)
		}
	}
	return ri, nil
}

// swap01 transposes the first two axes of an [a, b, n] array.
func swap01(v []float64, a, b, n int) []float64 {
	t := make([]float64, len(v))
	for i := range a {
		for j := range b {
			copy(t[(j*a+i)*n:(j*a+i+1)*n], v[(i*b+j)*n:(i*b+j+1)*n])
		}
	}
	return t
}

package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// The optimizers of the ai.onnx.preview.training domain (version 1):
// Adagrad, Momentum (standard and Nesterov) and Adam. Each updates n
// tensors at once: inputs R (learning rate), T (step), then n tensors of
// each kind; outputs the n updated tensors of each kind.

const trainingDomain = "ai.onnx.preview.training"

func init() {
	for name, build := range map[string]builder{"Adagrad": buildAdagrad, "Momentum": buildMomentum, "Adam": buildAdam} {
		registerDef(trainingDomain, name, opDef{minVersion: 1, maxVersion: 1, build: build})
	}
}

// optimizerStep applies update to the n groups of kinds tensors that
// follow R and T: update gets r, t and one element of each kind and
// returns the new elements (one per output kind).
func optimizerStep(name string, kinds, outKinds int, update func(r, t float64, v []float64) []float64) kernel {
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		if len(in) < 2 || (len(in)-2)%kinds != 0 {
			return fmt.Errorf("%s needs R, T and %d tensors per updated tensor, got %d inputs", name, kinds, len(in))
		}
		r, err := scalarFloat(in[0])
		if err != nil {
			return fmt.Errorf("%s R: %w", name, err)
		}
		t, err := scalarFloat(in[1])
		if err != nil {
			return fmt.Errorf("%s T: %w", name, err)
		}
		n := (len(in) - 2) / kinds
		if len(out) != n*outKinds {
			return fmt.Errorf("%s has %d outputs for %d updated tensors", name, len(out), n)
		}
		for i := range n {
			vals := make([][]float64, kinds)
			first := in[2+i]
			for k := range kinds {
				x := in[2+k*n+i]
				if x.Len() != first.Len() {
					return fmt.Errorf("%s inputs of tensor %d have shapes %v and %v", name, i, first.Shape(), x.Shape())
				}
				if vals[k], err = floatsOf(x); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			res := make([][]float64, outKinds)
			for k := range res {
				res[k] = make([]float64, first.Len())
			}
			e := make([]float64, kinds)
			for j := range first.Len() {
				for k := range kinds {
					e[k] = vals[k][j]
				}
				for k, v := range update(r, t, e) {
					res[k][j] = v
				}
			}
			for k := range outKinds {
				y := tensor.New(in[2+k*n+i].DType(), first.Shape()...)
				if k == 0 {
					y = tensor.New(first.DType(), first.Shape()...)
				}
				castSlice(y.Data(), res[k])
				out[k*n+i] = y
			}
		}
		return nil
	})
}

func floatAttrs(b *buildCtx, defs map[string]float32) (map[string]float64, error) {
	res := map[string]float64{}
	for name, def := range defs {
		v, err := b.floatAttr(name, def)
		if err != nil {
			return nil, err
		}
		res[name] = float64(v)
	}
	return res, nil
}

func buildAdagrad(b *buildCtx) (kernel, error) {
	a, err := floatAttrs(b, map[string]float32{"decay_factor": 0, "epsilon": 0, "norm_coefficient": 0})
	if err != nil {
		return nil, err
	}
	// X, G, H -> X_new, H_new.
	return optimizerStep("Adagrad", 3, 2, func(r, t float64, v []float64) []float64 {
		x, g, h := v[0], v[1], v[2]
		rt := r / (1 + t*a["decay_factor"])
		gr := a["norm_coefficient"]*x + g
		hn := h + gr*gr
		return []float64{x - rt*gr/(math.Sqrt(hn)+a["epsilon"]), hn}
	}), nil
}

func buildMomentum(b *buildCtx) (kernel, error) {
	a, err := floatAttrs(b, map[string]float32{"alpha": 0, "beta": 0, "norm_coefficient": 0})
	if err != nil {
		return nil, err
	}
	mode, err := b.stringAttr("mode", "standard")
	if err != nil {
		return nil, err
	}
	if mode != "standard" && mode != "nesterov" {
		return nil, b.errorf("attribute mode is %q, want standard or nesterov", mode)
	}
	// X, G, V -> X_new, V_new.
	return optimizerStep("Momentum", 3, 2, func(r, t float64, v []float64) []float64 {
		x, g, m := v[0], v[1], v[2]
		gr := a["norm_coefficient"]*x + g
		beta := a["beta"]
		if t <= 0 {
			beta = 1
		}
		mn := a["alpha"]*m + beta*gr
		if mode == "nesterov" {
			return []float64{x - r*(gr+a["alpha"]*mn), mn}
		}
		return []float64{x - r*mn, mn}
	}), nil
}

func buildAdam(b *buildCtx) (kernel, error) {
	a, err := floatAttrs(b, map[string]float32{"alpha": 0.9, "beta": 0.999, "epsilon": 1e-6, "norm_coefficient": 0, "norm_coefficient_post": 0})
	if err != nil {
		return nil, err
	}
	// X, G, V, H -> X_new, V_new, H_new.
	return optimizerStep("Adam", 4, 3, func(r, t float64, v []float64) []float64 {
		x, g, m, h := v[0], v[1], v[2], v[3]
		gr := a["norm_coefficient"]*x + g
		mn := a["alpha"]*m + (1-a["alpha"])*gr
		hn := a["beta"]*h + (1-a["beta"])*gr*gr
		ra := r
		if t > 0 {
			ra = r * math.Sqrt(1-math.Pow(a["beta"], t)) / (1 - math.Pow(a["alpha"], t))
		}
		xn := x - ra*(mn/(math.Sqrt(hn)+a["epsilon"]))
		return []float64{(1 - a["norm_coefficient_post"]) * xn, mn, hn}
	}), nil
}

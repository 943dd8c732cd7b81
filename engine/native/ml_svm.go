package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// SVMClassifier and SVMRegressor with LINEAR, POLY, RBF and SIGMOID
// kernels. A classifier with support vectors is libsvm's one-vs-one SVC:
// each pair of classes (i < j) votes with decision value Σ coefficients·K
// + rho, positive for i; the label is the class with most votes (the
// lowest on ties, as libsvm). With prob_a and prob_b the scores are
// libsvm's probabilities (pairwise sigmoids coupled by its iterative
// method), else the pairwise decision values. Without support vectors the
// model is linear: one score per class, coefficients·x + rho. The
// regressor sums coefficients·K(x, sv) + rho (a linear model when
// n_supports is 0); one_class maps the result to ±1.

func init() {
	registerML("SVMClassifier", 1, buildSVMClassifier)
	registerML("SVMRegressor", 1, buildSVMRegressor)
}

type svmKernel struct {
	kind                 string
	gamma, coef0, degree float64
}

func parseSVMKernel(b *buildCtx) (svmKernel, error) {
	k := svmKernel{}
	var err error
	if k.kind, err = b.stringAttr("kernel_type", "LINEAR"); err != nil {
		return k, err
	}
	switch k.kind {
	case "LINEAR", "POLY", "RBF", "SIGMOID":
	default:
		return k, b.errorf("unsupported kernel_type %q", k.kind)
	}
	p, err := b.floatsAttr("kernel_params")
	if err != nil {
		return k, err
	}
	if len(p) > 0 {
		k.gamma = float64(p[0])
	}
	if len(p) > 1 {
		k.coef0 = float64(p[1])
	}
	if len(p) > 2 {
		k.degree = float64(p[2])
	}
	return k, nil
}

func (k svmKernel) eval(x, sv []float64) float64 {
	switch k.kind {
	case "RBF":
		var s float64
		for i, v := range x {
			d := v - sv[i]
			s += d * d
		}
		return math.Exp(-k.gamma * s)
	}
	var dot float64
	for i, v := range x {
		dot += v * sv[i]
	}
	switch k.kind {
	case "POLY":
		return math.Pow(k.gamma*dot+k.coef0, k.degree)
	case "SIGMOID":
		return math.Tanh(k.gamma*dot + k.coef0)
	}
	return dot
}

func floats64(b *buildCtx, name string) ([]float64, error) {
	f, err := b.floatsAttr(name)
	if err != nil {
		return nil, err
	}
	v := make([]float64, len(f))
	castSlice(v, f)
	return v, nil
}

type svmClassifier struct {
	kern            svmKernel
	labels          classLabels
	pt              postTransform
	coef, sv, rho   []float64
	probA, probB    []float64
	perClass, start []int
	features        int
}

func buildSVMClassifier(b *buildCtx) (kernel, error) {
	k := &svmClassifier{}
	var err error
	if k.kern, err = parseSVMKernel(b); err != nil {
		return nil, err
	}
	if k.labels, err = parseClassLabels(b); err != nil {
		return nil, err
	}
	if k.pt, err = parsePostTransform(b); err != nil {
		return nil, err
	}
	for name, dst := range map[string]*[]float64{"coefficients": &k.coef, "support_vectors": &k.sv, "rho": &k.rho, "prob_a": &k.probA, "prob_b": &k.probB} {
		if *dst, err = floats64(b, name); err != nil {
			return nil, err
		}
	}
	vpc, err := b.intsAttr("vectors_per_class")
	if err != nil {
		return nil, err
	}
	c := k.labels.len()
	if len(vpc) == 0 {
		// Linear: one row of coefficients per class.
		if len(k.coef)%c != 0 || len(k.rho) != c && len(k.rho) != 0 {
			return nil, b.errorf("linear SVM with %d coefficients and %d rho for %d classes", len(k.coef), len(k.rho), c)
		}
		k.features = len(k.coef) / c
		return k, nil
	}
	if len(vpc) != c {
		return nil, b.errorf("vectors_per_class has %d entries for %d classes", len(vpc), c)
	}
	total := 0
	for _, v := range vpc {
		k.start = append(k.start, total)
		k.perClass = append(k.perClass, int(v))
		total += int(v)
	}
	if total == 0 || len(k.sv)%total != 0 {
		return nil, b.errorf("%d support vector values for %d vectors", len(k.sv), total)
	}
	k.features = len(k.sv) / total
	pairs := c * (c - 1) / 2
	if len(k.coef) != (c-1)*total || len(k.rho) != pairs {
		return nil, b.errorf("SVC needs %d coefficients and %d rho, got %d and %d", (c-1)*total, pairs, len(k.coef), len(k.rho))
	}
	if len(k.probA) != 0 && (len(k.probA) != pairs || len(k.probB) != pairs) {
		return nil, b.errorf("prob_a and prob_b need %d values", pairs)
	}
	return k, nil
}

// run scores each row: with the linear form (no support vectors, see
// runLinear), or by one-against-one votes over the support vectors, the
// scores then the pairwise decision values or libsvm's probabilities.
func (k *svmClassifier) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x, n, f, err := mlFloats("SVMClassifier", in[0])
	if err != nil {
		return err
	}
	if err := checkFeatures("SVMClassifier", f, k.features); err != nil {
		return err
	}
	if k.perClass == nil {
		return k.runLinear(x, n, f, out)
	}
	c := k.labels.len()
	total := len(k.sv) / f
	pairs := c * (c - 1) / 2
	cols := pairs
	if len(k.probA) > 0 {
		cols = c
	}
	idx := make([]int, n)
	scores := make([]float64, n*cols)
	kv := make([]float64, total)
	dec := make([]float64, pairs)
	for r := range n {
		row := x[r*f : (r+1)*f]
		for v := range total {
			kv[v] = k.kern.eval(row, k.sv[v*f:(v+1)*f])
		}
		idx[r] = k.vote(kv, dec)
		row2 := scores[r*cols : (r+1)*cols]
		if len(k.probA) > 0 {
			copy(row2, svmProbabilities(dec, k.probA, k.probB, c))
		} else {
			copy(row2, dec)
		}
		k.pt.apply(row2)
	}
	out[0] = k.labels.output(idx)
	if len(out) > 1 {
		out[1] = scoresTensor(scores, n, cols)
	}
	return nil
}

// runLinear classifies the n rows of x (f features each) with the linear
// form: one score per class, the kernel of the row and the class's
// coefficients plus its rho.
func (k *svmClassifier) runLinear(x []float64, n, f int, out []*tensor.Tensor) error {
	c := k.labels.len()
	s := make([]float64, n*c)
	for r := range n {
		for j := range c {
			s[r*c+j] = k.kern.eval(x[r*f:(r+1)*f], k.coef[j*f:(j+1)*f])
			if len(k.rho) > 0 {
				s[r*c+j] += k.rho[j]
			}
		}
	}
	idx, sc, cols, err := classify(s, n, c, k.labels, k.pt)
	if err != nil {
		return fmt.Errorf("SVMClassifier: %w", err)
	}
	out[0] = k.labels.output(idx)
	if len(out) > 1 {
		out[1] = scoresTensor(sc, n, cols)
	}
	return nil
}

// vote computes the decision value of every pair of classes (i, j) into
// dec from a row's kernel values with the support vectors (kv), and
// returns the class with the most votes (the first on a tie): i's when
// the value is positive, else j's.
func (k *svmClassifier) vote(kv, dec []float64) int {
	c := k.labels.len()
	total := len(kv)
	votes := make([]int, c)
	p := 0
	for i := range c {
		for j := i + 1; j < c; j++ {
			s := k.rho[p]
			for v := range k.perClass[i] {
				s += k.coef[(j-1)*total+k.start[i]+v] * kv[k.start[i]+v]
			}
			for v := range k.perClass[j] {
				s += k.coef[i*total+k.start[j]+v] * kv[k.start[j]+v]
			}
			dec[p] = s
			if s > 0 {
				votes[i]++
			} else {
				votes[j]++
			}
			p++
		}
	}
	best := 0
	for i, v := range votes {
		if v > votes[best] {
			best = i
		}
	}
	return best
}

// svmProbabilities is libsvm's probability estimate from the pairwise
// decision values.
func svmProbabilities(dec, a, b []float64, c int) []float64 {
	r := make([][]float64, c)
	for i := range r {
		r[i] = make([]float64, c)
	}
	p := 0
	for i := range c {
		for j := i + 1; j < c; j++ {
			v := min(max(sigmoidPredict(dec[p], a[p], b[p]), 1e-7), 1-1e-7)
			r[i][j], r[j][i] = v, 1-v
			p++
		}
	}
	return multiclassProbability(c, r)
}

func sigmoidPredict(dec, a, b float64) float64 {
	f := dec*a + b
	if f >= 0 {
		return math.Exp(-f) / (1 + math.Exp(-f))
	}
	return 1 / (1 + math.Exp(f))
}

// multiclassProbability couples pairwise probabilities r into class
// probabilities (Wu, Lin and Weng's method 2, as in libsvm).
func multiclassProbability(k int, r [][]float64) []float64 {
	p := make([]float64, k)
	q := make([][]float64, k)
	qp := make([]float64, k)
	maxIter := max(100, k)
	eps := 0.005 / float64(k)
	for t := range k {
		p[t] = 1 / float64(k)
		q[t] = make([]float64, k)
		for j := range k {
			if j != t {
				q[t][t] += r[j][t] * r[j][t]
				q[t][j] = -r[j][t] * r[t][j]
			}
		}
	}
	for range maxIter {
		pQp := 0.0
		for t := range k {
			qp[t] = 0
			for j := range k {
				qp[t] += q[t][j] * p[j]
			}
			pQp += p[t] * qp[t]
		}
		maxErr := 0.0
		for t := range k {
			maxErr = max(maxErr, math.Abs(qp[t]-pQp))
		}
		if maxErr < eps {
			break
		}
		for t := range k {
			diff := (-qp[t] + pQp) / q[t][t]
			p[t] += diff
			pQp = (pQp + diff*(diff*q[t][t]+2*qp[t])) / (1 + diff) / (1 + diff)
			for j := range k {
				qp[j] = (qp[j] + diff*q[t][j]) / (1 + diff)
				p[j] /= 1 + diff
			}
		}
	}
	return p
}

type svmRegressor struct {
	kern     svmKernel
	pt       postTransform
	coef, sv []float64
	rho      float64
	oneClass bool
	supports int
}

func buildSVMRegressor(b *buildCtx) (kernel, error) {
	k := &svmRegressor{}
	var err error
	if k.kern, err = parseSVMKernel(b); err != nil {
		return nil, err
	}
	if k.pt, err = parsePostTransform(b); err != nil {
		return nil, err
	}
	if k.coef, err = floats64(b, "coefficients"); err != nil {
		return nil, err
	}
	if k.sv, err = floats64(b, "support_vectors"); err != nil {
		return nil, err
	}
	rho, err := floats64(b, "rho")
	if err != nil {
		return nil, err
	}
	if len(rho) > 0 {
		k.rho = rho[0]
	}
	ns, err := b.intAttr("n_supports", 0)
	if err != nil {
		return nil, err
	}
	k.supports = int(ns)
	if k.oneClass, err = b.boolAttr("one_class", false); err != nil {
		return nil, err
	}
	if k.supports > 0 && (len(k.coef) != k.supports || len(k.sv)%k.supports != 0) {
		return nil, b.errorf("%d coefficients and %d support vector values for %d supports", len(k.coef), len(k.sv), k.supports)
	}
	return k, nil
}

func (k *svmRegressor) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x, n, f, err := mlFloats("SVMRegressor", in[0])
	if err != nil {
		return err
	}
	res := make([]float64, n)
	for r := range n {
		row := x[r*f : (r+1)*f]
		s := k.rho
		if k.supports == 0 {
			if err := checkFeatures("SVMRegressor", f, len(k.coef)); err != nil {
				return err
			}
			s += k.kern.eval(row, k.coef)
		} else {
			if err := checkFeatures("SVMRegressor", f, len(k.sv)/k.supports); err != nil {
				return err
			}
			for v := range k.supports {
				s += k.coef[v] * k.kern.eval(row, k.sv[v*f:(v+1)*f])
			}
		}
		if k.oneClass {
			s = map[bool]float64{true: 1, false: -1}[s > 0]
		}
		v := []float64{s}
		k.pt.apply(v)
		res[r] = v[0]
	}
	out[0] = scoresTensor(res, n, 1)
	return nil
}

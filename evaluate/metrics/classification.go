package metrics

import "math"

// Confusion is a weighted confusion matrix: Counts[t][p] is the weight of
// samples of true class t predicted as p.
type Confusion struct {
	Counts [][]float64
}

// ConfusionMatrix counts yTrue against yPred over k classes (k 0: one more
// than the largest label).
func ConfusionMatrix(yTrue, yPred []int, w []float64, k int) (*Confusion, error) {
	if err := check(yTrue, yPred, nil, w, k); err != nil {
		return nil, err
	}
	if k <= 0 {
		k = numClasses(yTrue, yPred)
	}
	c := &Confusion{Counts: make([][]float64, k)}
	for i := range c.Counts {
		c.Counts[i] = make([]float64, k)
	}
	for i, t := range yTrue {
		c.Counts[t][yPred[i]] += weight(w, i)
	}
	return c, nil
}

// Classes is the number of classes.
func (c *Confusion) Classes() int { return len(c.Counts) }

// Total is the weight of all samples.
func (c *Confusion) Total() float64 {
	s := 0.0
	for _, row := range c.Counts {
		for _, v := range row {
			s += v
		}
	}
	return s
}

// Support is the weight of samples of true class t.
func (c *Confusion) Support(t int) float64 {
	s := 0.0
	for _, v := range c.Counts[t] {
		s += v
	}
	return s
}

// Predicted is the weight of samples predicted as class p.
func (c *Confusion) Predicted(p int) float64 {
	s := 0.0
	for _, row := range c.Counts {
		s += row[p]
	}
	return s
}

// Present reports whether class t occurs among the true or the predicted
// labels (the classes scikit-learn averages over by default).
func (c *Confusion) Present(t int) bool { return c.Support(t) > 0 || c.Predicted(t) > 0 }

// Accuracy is the weighted fraction of correct predictions.
func (c *Confusion) Accuracy() float64 {
	d := 0.0
	for i := range c.Counts {
		d += c.Counts[i][i]
	}
	return d / c.Total()
}

// BalancedAccuracy is the mean recall over the classes with support
// (scikit-learn's balanced_accuracy_score).
func (c *Confusion) BalancedAccuracy() float64 {
	sum, n := 0.0, 0
	for t := range c.Counts {
		if s := c.Support(t); s > 0 {
			sum += c.Counts[t][t] / s
			n++
		}
	}
	return sum / float64(n)
}

// ClassScores are one class's precision, recall, F1 and support.
type ClassScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   float64 `json:"support"`
}

// PerClass is each class's scores; a ratio with a zero denominator is 0,
// as scikit-learn's default zero_division.
func (c *Confusion) PerClass() []ClassScores {
	out := make([]ClassScores, c.Classes())
	for t := range c.Counts {
		tp := c.Counts[t][t]
		out[t] = prf(tp, c.Predicted(t), c.Support(t))
	}
	return out
}

// prf is precision, recall and F1 from true positives, predicted
// positives and actual positives.
func prf(tp, pred, actual float64) ClassScores {
	s := ClassScores{Precision: ratio(tp, pred), Recall: ratio(tp, actual), Support: actual}
	s.F1 = ratio(2*tp, pred+actual)
	return s
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Averages are the macro, micro and support-weighted averages of the
// per-class scores over the classes present.
type Averages struct {
	Macro, Micro, Weighted ClassScores
}

// Average averages the per-class scores over the present classes.
func (c *Confusion) Average() Averages {
	per := c.PerClass()
	var a Averages
	var tp, pred, actual float64
	n := 0
	for t, s := range per {
		if !c.Present(t) {
			continue
		}
		n++
		a.Macro.Precision += s.Precision
		a.Macro.Recall += s.Recall
		a.Macro.F1 += s.F1
		a.Weighted.Precision += s.Precision * s.Support
		a.Weighted.Recall += s.Recall * s.Support
		a.Weighted.F1 += s.F1 * s.Support
		tp += c.Counts[t][t]
		pred += c.Predicted(t)
		actual += s.Support
	}
	a.Macro.Precision /= float64(n)
	a.Macro.Recall /= float64(n)
	a.Macro.F1 /= float64(n)
	a.Weighted.Precision = ratio(a.Weighted.Precision, actual)
	a.Weighted.Recall = ratio(a.Weighted.Recall, actual)
	a.Weighted.F1 = ratio(a.Weighted.F1, actual)
	a.Micro = prf(tp, pred, actual)
	a.Macro.Support, a.Weighted.Support = actual, actual
	return a
}

// TopKAccuracy is the weighted fraction of samples whose true class is
// among the k highest scores. Ties rank the higher class index first,
// as scikit-learn's top_k_accuracy_score.
func TopKAccuracy(yTrue []int, s Scores, w []float64, k int) (float64, error) {
	if err := check(yTrue, nil, &s, w, s.K); err != nil {
		return 0, err
	}
	hit, total := 0.0, 0.0
	for i, t := range yTrue {
		if Rank(s.Row(i), t) < k {
			hit += weight(w, i)
		}
		total += weight(w, i)
	}
	return hit / total, nil
}

// Rank is class t's 0-based rank in row (0: highest score).
func Rank(row []float64, t int) int {
	r := 0
	for c, v := range row {
		if v > row[t] || (v == row[t] && c > t) {
			r++
		}
	}
	return r
}

// Argmax is the index of the highest score (the first on ties).
func Argmax[T float32 | float64](row []T) int {
	best := 0
	for c, v := range row {
		if v > row[best] {
			best = c
		}
	}
	return best
}

// LogLoss is the weighted mean cross-entropy. Scores are clipped to
// [eps, 1-eps] (eps the float64 machine epsilon) and each row is
// renormalized, as scikit-learn's log_loss.
func LogLoss(yTrue []int, s Scores, w []float64) (float64, error) {
	if err := check(yTrue, nil, &s, w, s.K); err != nil {
		return 0, err
	}
	const eps = 0x1p-52
	loss, total := 0.0, 0.0
	for i, t := range yTrue {
		sum := 0.0
		for _, v := range s.Row(i) {
			sum += min(max(v, eps), 1-eps)
		}
		p := min(max(s.Row(i)[t], eps), 1-eps) / sum
		loss -= weight(w, i) * math.Log(p)
		total += weight(w, i)
	}
	return loss / total, nil
}

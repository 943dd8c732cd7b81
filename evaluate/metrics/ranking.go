package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Curve is a ROC curve (X false-positive rate, Y true-positive rate) or a
// precision-recall curve (X recall, Y precision), one point per distinct
// threshold.
type Curve struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// binaryCounts are cumulative weighted true and false positives at each
// distinct score, highest first (scikit-learn's _binary_clf_curve).
func binaryCounts(pos []bool, score, w []float64) (tps, fps []float64) {
	idx := make([]int, 0, len(score))
	for i := range score {
		if weight(w, i) != 0 {
			idx = append(idx, i)
		}
	}
	// Descending score; the order within ties does not matter, as counts
	// are taken at the end of each run of equal scores.
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	tp, fp := 0.0, 0.0
	for j, i := range idx {
		if pos[i] {
			tp += weight(w, i)
		} else {
			fp += weight(w, i)
		}
		if j == len(idx)-1 || score[idx[j+1]] != score[i] {
			tps = append(tps, tp)
			fps = append(fps, fp)
		}
	}
	return tps, fps
}

// BinaryROC is the ROC curve and its area for one class against the rest;
// the area is NaN when either side has no samples.
func BinaryROC(pos []bool, score, w []float64) (Curve, float64) {
	return roc(binaryCounts(pos, score, w))
}

func roc(tps, fps []float64) (Curve, float64) {
	c := Curve{X: []float64{0}, Y: []float64{0}}
	if len(tps) == 0 || tps[len(tps)-1] == 0 || fps[len(fps)-1] == 0 {
		return c, math.NaN()
	}
	P, N := tps[len(tps)-1], fps[len(fps)-1]
	area := 0.0
	for i := range tps {
		x, y := fps[i]/N, tps[i]/P
		area += (x - c.X[len(c.X)-1]) * (y + c.Y[len(c.Y)-1]) / 2
		c.X, c.Y = append(c.X, x), append(c.Y, y)
	}
	return c, area
}

// BinaryPR is the precision-recall curve and the average precision
// (sum of precision times recall increase over thresholds) for one class
// against the rest; NaN when the class has no samples.
func BinaryPR(pos []bool, score, w []float64) (Curve, float64) {
	return pr(binaryCounts(pos, score, w))
}

func pr(tps, fps []float64) (Curve, float64) {
	var c Curve
	if len(tps) == 0 || tps[len(tps)-1] == 0 {
		return c, math.NaN()
	}
	P := tps[len(tps)-1]
	ap, prev := 0.0, 0.0
	for i := range tps {
		r, p := tps[i]/P, tps[i]/(tps[i]+fps[i])
		ap += (r - prev) * p
		prev = r
		c.X, c.Y = append(c.X, r), append(c.Y, p)
		if tps[i] == P {
			break
		}
	}
	return c, ap
}

// OneVsRest are per-class ROC and PR results and their macro averages.
type OneVsRest struct {
	ROC, PR     []Curve
	ROCAUC, AP  []float64
	ROCAUCMacro float64
	APMacro     float64
}

// OneVsRestAUC computes each class's ROC-AUC and average precision against
// the rest. With two classes the figures are those of class 1's score, as
// scikit-learn's binary roc_auc_score and average_precision_score; with
// more, the macro averages match multi_class="ovr", average="macro". A
// class with no positive (or, for ROC, no negative) sample is an error.
func OneVsRestAUC(yTrue []int, s Scores, w []float64) (*OneVsRest, error) {
	if err := check(yTrue, nil, &s, w, s.K); err != nil {
		return nil, err
	}
	classes := make([]int, 0, s.K)
	if s.K == 2 {
		classes = append(classes, 1)
	} else {
		for c := range s.K {
			classes = append(classes, c)
		}
	}
	o := &OneVsRest{}
	pos, col := make([]bool, len(yTrue)), make([]float64, len(yTrue))
	for _, c := range classes {
		for i, t := range yTrue {
			pos[i], col[i] = t == c, s.Data[i*s.K+c]
		}
		tps, fps := binaryCounts(pos, col, w)
		rc, auc := roc(tps, fps)
		pc, ap := pr(tps, fps)
		if math.IsNaN(auc) {
			return nil, fmt.Errorf("%w: ROC-AUC of class %d is undefined: it needs positive and negative samples", ErrInput, c)
		}
		o.ROC, o.PR = append(o.ROC, rc), append(o.PR, pc)
		o.ROCAUC, o.AP = append(o.ROCAUC, auc), append(o.AP, ap)
		o.ROCAUCMacro += auc / float64(len(classes))
		o.APMacro += ap / float64(len(classes))
	}
	return o, nil
}

package metrics

import (
	"fmt"
	"math"
)

// Curve is a ROC curve (X false-positive rate, Y true-positive rate) or a
// precision-recall curve (X recall, Y precision), one point per distinct
// threshold.
type Curve struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// MaxCurvePoints bounds the points of each ROC and PR curve: a curve
// keeps its first and last points and others evenly spaced by rank in
// between. The areas are computed on every threshold.
const MaxCurvePoints = 512

// ranked is one class against the rest, swept from the highest score.
type ranked struct {
	roc, pr curveBuilder
	auc, ap float64
}

// curveBuilder keeps about MaxCurvePoints of a curve of n points.
type curveBuilder struct {
	Curve
	n, seen int
}

func (b *curveBuilder) add(x, y float64, last bool) {
	b.seen++
	if last || b.n <= MaxCurvePoints || (b.seen-1)*(MaxCurvePoints-1)/(b.n-1) != (b.seen-2)*(MaxCurvePoints-1)/(b.n-1) {
		b.X, b.Y = append(b.X, x), append(b.Y, y)
	}
}

// rank sorts the samples by descending score and sweeps them once
// (scikit-learn's _binary_clf_curve): at the end of each run of equal
// scores it adds a ROC point and the trapezoid under it, and a
// precision-recall point and precision times the recall gained. The ROC
// area is NaN when either side has no samples, the average precision when
// there is no positive.
func rank(pos []bool, score, w []float64) ranked {
	idx := make([]int32, 0, len(score))
	for i := range score {
		if weight(w, i) != 0 {
			idx = append(idx, int32(i))
		}
	}
	// Descending score; the order within ties does not matter, as points
	// are taken at the end of each run of equal scores.
	sortDescending(score, idx)
	// The totals are summed in the sweep's order, so that the last point
	// is exactly (1, 1).
	var P, N float64
	distinct := 0
	for j, i := range idx {
		if pos[i] {
			P += weight(w, int(i))
		} else {
			N += weight(w, int(i))
		}
		if j == len(idx)-1 || score[idx[j+1]] != score[i] {
			distinct++
		}
	}
	r := ranked{roc: curveBuilder{Curve: Curve{X: []float64{0}, Y: []float64{0}}, n: distinct + 1}, pr: curveBuilder{n: distinct}}
	r.roc.seen = 1
	if P == 0 || N == 0 {
		r.auc = math.NaN()
	}
	if P == 0 {
		r.ap = math.NaN()
	}
	var tp, fp, px, py, prevR float64
	for j, i := range idx {
		if pos[i] {
			tp += weight(w, int(i))
		} else {
			fp += weight(w, int(i))
		}
		if j < len(idx)-1 && score[idx[j+1]] == score[i] {
			continue
		}
		last := j == len(idx)-1
		if P > 0 && N > 0 {
			x, y := fp/N, tp/P
			r.auc += (x - px) * (y + py) / 2
			px, py = x, y
			r.roc.add(x, y, last)
		}
		if P > 0 && prevR < 1 {
			rc, p := tp/P, tp/(tp+fp)
			r.ap += (rc - prevR) * p
			prevR = rc
			r.pr.add(rc, p, last || tp == P)
		}
	}
	return r
}

// BinaryROC is the ROC curve (at most MaxCurvePoints points) and its area
// for one class against the rest; the area is NaN when either side has no
// samples.
func BinaryROC(pos []bool, score, w []float64) (Curve, float64) {
	r := rank(pos, score, w)
	return r.roc.Curve, r.auc
}

// BinaryPR is the precision-recall curve (at most MaxCurvePoints points)
// and the average precision (sum of precision times recall increase over
// thresholds) for one class against the rest; NaN when the class has no
// samples.
func BinaryPR(pos []bool, score, w []float64) (Curve, float64) {
	r := rank(pos, score, w)
	return r.pr.Curve, r.ap
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
		r := rank(pos, col, w)
		rc, auc, pc, ap := r.roc.Curve, r.auc, r.pr.Curve, r.ap
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

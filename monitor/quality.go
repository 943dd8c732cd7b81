package monitor

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"

	evalmetrics "github.com/inferd/inferd/evaluate/metrics"
)

// The live quality metrics, computed from labelled predictions with the
// metric code of inferd eval (evaluate/metrics): accuracy, per-class and
// macro precision, recall and F1 for classifiers; MAE, RMSE, R² and MAPE
// for regressors (a model whose answer is one number).

// WindowStatus is the live quality over one window of labelled requests.
type WindowStatus struct {
	Labelled int `json:"labelled"`
	// Accuracy and the macro averages are over the classifier outcomes.
	Accuracy       float64 `json:"accuracy"`
	PrecisionMacro float64 `json:"precision_macro,omitempty"`
	RecallMacro    float64 `json:"recall_macro,omitempty"`
	F1Macro        float64 `json:"f1_macro,omitempty"`
	// Classes are the scores of each class seen (labelled or predicted).
	Classes map[string]evalmetrics.ClassScores `json:"classes,omitempty"`
	// Regression is set when the window has regression outcomes.
	Regression *evalmetrics.Regression `json:"regression,omitempty"`
}

// maxLiveClasses bounds the classes exported per version as Prometheus
// series (the status keeps them all).
const maxLiveClasses = 100

// outcome is a labelled prediction: two class names, or two numbers.
type outcome struct {
	truth, pred string
	regression  bool
	y, yhat     float64
	at          time.Time // when the label arrived
}

func (o outcome) correct() bool { return !o.regression && o.truth == o.pred }

// outcomeOf pairs a record's prediction with its label: a classifier's
// predicted class with the class the label names (its name, or its index
// as a number or a string of digits), else a single-number answer with a
// number label. ok is false when they do not pair.
func outcomeOf(r Record, labels []string) (outcome, bool) {
	label := bytes.TrimSpace(r.Label)
	if r.Prediction != "" {
		var s string
		if err := json.Unmarshal(label, &s); err != nil {
			var n json.Number
			if err := json.Unmarshal(label, &n); err != nil {
				return outcome{}, false
			}
			s = n.String()
		}
		if i, err := strconv.Atoi(s); err == nil && i >= 0 && i < len(labels) {
			s = labels[i]
		}
		return outcome{truth: s, pred: r.Prediction}, true
	}
	var y float64
	if err := json.Unmarshal(label, &y); err != nil {
		return outcome{}, false
	}
	yhat, ok := singleNumber(r.Outputs)
	return outcome{regression: true, y: y, yhat: yhat}, ok
}

// singleNumber is the value of an answer that is one float number.
func singleNumber(p Payload) (float64, bool) {
	outs, err := p.Tensors()
	if err != nil || len(outs) != 1 {
		return 0, false
	}
	for _, t := range outs {
		if t.DType().IsFloat() && t.Len() == 1 {
			v := floatAt(t, 0)
			return v, !math.IsNaN(v)
		}
	}
	return 0, false
}

// quality computes a window's figures.
func quality(os []outcome) WindowStatus {
	st := WindowStatus{Labelled: len(os)}
	var names []string
	index := map[string]int{}
	var yTrue, yPred []int
	var y, yhat []float64
	for _, o := range os {
		if o.regression {
			y, yhat = append(y, o.y), append(yhat, o.yhat)
			continue
		}
		for _, c := range []string{o.truth, o.pred} {
			if _, ok := index[c]; !ok {
				index[c] = len(names)
				names = append(names, c)
			}
		}
		yTrue, yPred = append(yTrue, index[o.truth]), append(yPred, index[o.pred])
	}
	if len(yTrue) > 0 {
		if cm, err := evalmetrics.ConfusionMatrix(yTrue, yPred, nil, len(names)); err == nil {
			st.Accuracy = cm.Accuracy()
			avg := cm.Average().Macro
			st.PrecisionMacro, st.RecallMacro, st.F1Macro = avg.Precision, avg.Recall, avg.F1
			st.Classes = map[string]evalmetrics.ClassScores{}
			for i, s := range cm.PerClass() {
				st.Classes[names[i]] = s
			}
		}
	}
	if len(y) > 0 {
		st.Regression, _ = evalmetrics.Regress(y, yhat, nil) // equal lengths, no weights: cannot fail
	}
	return st
}

// set exports a window's figures.
func (m *metrics) set(model, version, window string, st WindowStatus) {
	m.labelled.WithLabelValues(model, version, window).Set(float64(st.Labelled))
	q := func(metric string, v float64) { m.quality.WithLabelValues(model, version, window, metric).Set(v) }
	if st.Classes != nil {
		m.accuracy.WithLabelValues(model, version, window).Set(st.Accuracy)
		q("precision_macro", st.PrecisionMacro)
		q("recall_macro", st.RecallMacro)
		q("f1_macro", st.F1Macro)
		classes := make([]string, 0, len(st.Classes))
		for c := range st.Classes {
			classes = append(classes, c)
		}
		sort.Strings(classes)
		for _, c := range classes[:min(len(classes), maxLiveClasses)] {
			s := st.Classes[c]
			for metric, v := range map[string]float64{"precision": s.Precision, "recall": s.Recall, "f1": s.F1} {
				m.classQuality.WithLabelValues(model, version, window, c, metric).Set(v)
			}
		}
	}
	if r := st.Regression; r != nil {
		q("mae", r.MAE)
		q("rmse", r.RMSE)
		q("r2", r.R2)
		q("mape", r.MAPE)
	}
}

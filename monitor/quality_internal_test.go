package monitor

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/inferd/inferd/tensor"
)

func TestOutcomeAndQuality(t *testing.T) {
	labels := []string{"cat", "dog"}
	num := func(v float32) Payload {
		return EncodePayload(map[string]*tensor.Tensor{"y": tensor.MustFromSlice([]float32{v}, 1, 1)}, nil)
	}
	tests := []struct {
		rec  Record
		want outcome
		ok   bool
	}{
		{Record{Prediction: "cat", Label: json.RawMessage(`"cat"`)}, outcome{truth: "cat", pred: "cat"}, true},
		{Record{Prediction: "cat", Label: json.RawMessage(`1`)}, outcome{truth: "dog", pred: "cat"}, true},
		{Record{Prediction: "dog", Label: json.RawMessage(`"1"`)}, outcome{truth: "dog", pred: "dog"}, true},
		{Record{Prediction: "dog", Label: json.RawMessage(`{}`)}, outcome{}, false},
		{Record{Outputs: num(2.5), Label: json.RawMessage(`3`)}, outcome{regression: true, y: 3, yhat: 2.5}, true},
		{Record{Outputs: num(2.5), Label: json.RawMessage(`"x"`)}, outcome{}, false},
	}
	for i, tt := range tests {
		got, ok := outcomeOf(tt.rec, labels)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("case %d: %+v %v, want %+v %v", i, got, ok, tt.want, tt.ok)
		}
	}
	// a: precision 1, recall 1/2, F1 2/3; b: precision 2/3, recall 1, F1 4/5.
	st := quality([]outcome{{truth: "a", pred: "a"}, {truth: "a", pred: "b"}, {truth: "b", pred: "b"}, {truth: "b", pred: "b"},
		{regression: true, y: 1, yhat: 1}, {regression: true, y: 2, yhat: 2}, {regression: true, y: 3, yhat: 5}})
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if st.Labelled != 7 || !near(st.Accuracy, 0.75) || !near(st.F1Macro, (2.0/3+0.8)/2) || !near(st.PrecisionMacro, (1+2.0/3)/2) ||
		!near(st.RecallMacro, 0.75) || !near(st.Classes["a"].Recall, 0.5) || !near(st.Classes["b"].Precision, 2.0/3) {
		t.Fatalf("classification %+v", st)
	}
	if r := st.Regression; r == nil || !near(r.MAE, 2.0/3) || !near(r.RMSE, math.Sqrt(4.0/3)) {
		t.Fatalf("regression %+v", st.Regression)
	}
}

// A time window holds the labels of its span, newest first.
func TestLiveSpans(t *testing.T) {
	met, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	l := newLive([]int{2, 10}, []time.Duration{time.Hour, 90 * time.Second}, met)
	now := time.Now()
	k := targetKey{"m", 1}
	for _, ago := range []time.Duration{3 * time.Hour, 2 * time.Hour, 30 * time.Minute, time.Minute, 0} {
		l.add(k, outcome{truth: "a", pred: "a", at: now.Add(-ago)})
	}
	st := l.status("m")["1"]
	for name, want := range map[string]int{"last_2": 2, "last_10": 5, "last_1h": 3, "last_90s": 2} {
		if st[name].Labelled != want {
			t.Errorf("%s: %d labelled, want %d", name, st[name].Labelled, want)
		}
	}
}

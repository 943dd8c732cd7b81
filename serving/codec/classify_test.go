package codec

import (
	"math"
	"testing"

	"github.com/inferd/inferd/tensor"
)

func TestClassifier(t *testing.T) {
	scores := tensor.MustFromSlice([]float32{1, 3, 2, 0, 0, 5}, 2, 3)
	c := Classifier{Softmax: true, TopK: 2, Labels: []string{"a", "b", "c"}}
	got, err := c.Rank(scores)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0][0].Label != "b" || got[0][1].Label != "c" || got[1][0].Index != 2 {
		t.Fatalf("Rank = %+v", got)
	}
	if s := got[0][0].Score; s < 0.665 || s > 0.666 {
		t.Errorf("softmax score %v, want 0.6652", s)
	}
	raw, _ := Classifier{TopK: 10}.Rank(tensor.MustFromSlice([]float64{0.2, 0.7}, 2))
	if len(raw[0]) != 2 || raw[0][0].Label != "1" || raw[0][0].Score != 0.7 {
		t.Errorf("raw Rank = %+v", raw)
	}
	for name, bad := range map[string]*tensor.Tensor{
		"labels":  tensor.MustFromSlice([]float32{1, 2}, 1, 2),
		"rank":    tensor.MustFromSlice([]float32{1, 2, 3}, 1, 1, 3),
		"dtype":   tensor.MustFromSlice([]int64{1, 2, 3}, 1, 3),
		"nan":     tensor.MustFromSlice([]float32{1, float32(math.NaN()), 3}, 1, 3),
		"classes": tensor.MustFromSlice([]float32{}, 1, 0),
	} {
		if _, err := c.Rank(bad); err == nil {
			t.Errorf("%s: Rank accepted %v", name, bad)
		}
	}
}

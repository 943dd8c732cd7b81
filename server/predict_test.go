package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
)

type prediction struct {
	Label string  `json:"label"`
	Index int     `json:"index"`
	Score float64 `json:"score"`
}

func softmax(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(v - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

// Every committed sample image is classified by both models as PyTorch
// classified it, with the same probabilities, and the accuracy over the
// samples is what the training script measured.
func TestSampleImages(t *testing.T) {
	s := start(t, testutil.ExamplesCopy(t))
	ref := testutil.LoadReference(t)
	for _, name := range []string{"digits", "digits-mlp"} {
		t.Run(name, func(t *testing.T) {
			correct := 0
			for _, im := range ref.Images {
				want := im.Digits
				if name == "digits-mlp" {
					want = im.DigitsMLP
				}
				r := do(t, http.MethodPost, s.url+"/models/"+name+"/v1", "image/png", sample(t, im.File))
				if r.code != 200 {
					t.Fatalf("%s: %d %s", im.File, r.code, r.body)
				}
				var ans struct {
					Model, Version string
					Predictions    []prediction
				}
				r.json(t, &ans)
				if ans.Model != name || ans.Version != "1" || len(ans.Predictions) != 3 {
					t.Fatalf("%s: answer %s", im.File, r.body)
				}
				top := ans.Predictions[0]
				if top.Label != want.Predicted {
					t.Errorf("%s: predicted %q, PyTorch predicted %q", im.File, top.Label, want.Predicted)
				}
				probs := softmax(want.Logits)
				for _, p := range ans.Predictions {
					if math.Abs(p.Score-probs[p.Index]) > 1e-4 || p.Label != fmt.Sprint(p.Index) {
						t.Errorf("%s: %+v, PyTorch's probability %v", im.File, p, probs[p.Index])
					}
				}
				if top.Label == im.Label {
					correct++
				}
			}
			got := float64(correct) / float64(len(ref.Images))
			if want := ref.Models[name].SampleAccuracy; got != want {
				t.Errorf("accuracy over the samples %.4f, training script measured %.4f", got, want)
			}
			t.Logf("%s: %d/%d sample images correct", name, correct, len(ref.Images))
		})
	}
}

func TestMultipart(t *testing.T) {
	s := start(t, testutil.ExamplesCopy(t))
	files := []string{"0_1.png", "5_2.png", "9_4.png", "3_3.png"}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		w, err := mw.CreateFormFile("images", f)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(sample(t, f))
	}
	mw.Close()
	r := do(t, http.MethodPost, s.url+"/models/digits/1", mw.FormDataContentType(), body.Bytes())
	if r.code != 200 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	var ans struct {
		Results []struct {
			File        string
			Predictions []prediction
		}
	}
	r.json(t, &ans)
	if len(ans.Results) != len(files) {
		t.Fatalf("%d results for %d files: %s", len(ans.Results), len(files), r.body)
	}
	for i, f := range files {
		res := ans.Results[i]
		var single struct{ Predictions []prediction }
		do(t, http.MethodPost, s.url+"/models/digits/1", "image/png", sample(t, f)).json(t, &single)
		if res.File != f || res.Predictions[0].Label != f[:1] {
			t.Errorf("result %d = %+v, want file %s labelled %s", i, res, f, f[:1])
		}
		if math.Abs(res.Predictions[0].Score-single.Predictions[0].Score) > 1e-6 {
			t.Errorf("%s: batched score %v, alone %v", f, res.Predictions[0].Score, single.Predictions[0].Score)
		}
	}
}

func TestJSONTensors(t *testing.T) {
	s := start(t, testutil.ExamplesCopy(t))
	ref := testutil.LoadReference(t)
	body := testutil.ReadFile(t, filepath.Join(testutil.DigitsDir(), "sample-input.json"))
	for _, name := range []string{"digits", "digits-mlp"} {
		r := do(t, http.MethodPost, s.url+"/models/"+name+"/v1", "application/json", body)
		if r.code != 200 {
			t.Fatalf("%s: %d %s", name, r.code, r.body)
		}
		var ans struct {
			Outputs     map[string][][]float64
			Predictions [][]prediction
		}
		r.json(t, &ans)
		want := ref.Images[0].Digits
		if name == "digits-mlp" {
			want = ref.Images[0].DigitsMLP
		}
		logits := ans.Outputs["logits"]
		if len(logits) != 1 || len(logits[0]) != 10 {
			t.Fatalf("%s: outputs %s", name, r.body)
		}
		for i, w := range want.Logits {
			if math.Abs(logits[0][i]-w) > 1e-4 {
				t.Errorf("%s: logit %d = %v, PyTorch %v", name, i, logits[0][i], w)
			}
		}
		if len(ans.Predictions) != 1 || ans.Predictions[0][0].Label != want.Predicted {
			t.Errorf("%s: predictions %+v", name, ans.Predictions)
		}
	}
	// A batch of two: the sample twice.
	var in struct{ Inputs map[string][][][][]float64 }
	json.Unmarshal(body, &in)
	x := in.Inputs["input"]
	two, _ := json.Marshal(map[string]any{"inputs": map[string]any{"input": append(x, x[0])}})
	var ans struct{ Predictions [][]prediction }
	r := do(t, http.MethodPost, s.url+"/models/digits/v1", "application/json", two)
	r.json(t, &ans)
	if r.code != 200 || len(ans.Predictions) != 2 || ans.Predictions[0][0] != ans.Predictions[1][0] {
		t.Errorf("batch of two: %d %s", r.code, r.body)
	}
}

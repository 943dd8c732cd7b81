package server_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
)

// The seed JSON route takes encoded images for the image input as b64
// values, like v2 and TF Serving, and answers as for the same PNG posted
// as an image.
func TestSeedJSONTakesEncodedImages(t *testing.T) {
	s := start(t, testutil.ExamplesCopy(t))
	png := sample(t, "7_0.png")
	var direct struct {
		Predictions []struct{ Label string } `json:"predictions"`
	}
	do(t, "POST", s.url+"/models/digits/1", "image/png", png).json(t, &direct)

	body, _ := json.Marshal(map[string]any{"inputs": map[string]any{"input": []any{
		map[string]string{"b64": base64.StdEncoding.EncodeToString(png)},
		map[string]string{"b64": base64.StdEncoding.EncodeToString(sample(t, "3_0.png"))},
	}}})
	r := do(t, "POST", s.url+"/models/digits/1", "application/json", body)
	var ans struct {
		Outputs     map[string][][]float64     `json:"outputs"`
		Predictions [][]struct{ Label string } `json:"predictions"`
	}
	r.json(t, &ans)
	if r.code != 200 || len(ans.Outputs["logits"]) != 2 || len(ans.Predictions) != 2 {
		t.Fatalf("%d %s", r.code, r.body)
	}
	if len(direct.Predictions) == 0 || ans.Predictions[0][0].Label != direct.Predictions[0].Label || ans.Predictions[1][0].Label != "3" {
		t.Fatalf("b64 images answered %+v, the PNG alone %+v", ans.Predictions, direct.Predictions)
	}

	bad, _ := json.Marshal(map[string]any{"inputs": map[string]any{"input": []any{map[string]string{"b64": "bm90IGFuIGltYWdl"}}}})
	if r := do(t, "POST", s.url+"/models/digits/1", "application/json", bad); r.code != 400 {
		t.Fatalf("not an image: %d %s", r.code, r.body)
	}
}

package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// TestReadNumber serves the example repository and reads every sample
// canvas of examples/read-number/images (named by their true number)
// through the read-number pipeline, over HTTP and gRPC: the detector, the
// crops, the digits classifier and the join. Both protocols must agree,
// and most numbers must be read right (the canvases are made of held-out
// digits, so a few misreadings are expected; see reference.json).
func TestReadNumber(t *testing.T) {
	dir := filepath.Join(testutil.RepoRoot(), "examples", "read-number", "images")
	files, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil || len(files) < 10 {
		t.Fatalf("sample canvases: %v, %v", files, err)
	}
	in := servertest.Start(t, testutil.ExamplesCopy(t))
	cs := clients(t, in)
	ctx := context.Background()
	right := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want, _, _ := strings.Cut(filepath.Base(f), "_")
		img := client.Input{Name: "image", Tensor: tensor.MustFromSlice([]string{string(data)}, 1)}
		var got []string
		for _, proto := range []string{"http", "grpc"} {
			res, err := infer(ctx, cs[proto], "read-number", img)
			if err != nil {
				t.Fatalf("%s %s: %v", proto, f, err)
			}
			number, scores := res.Output("number"), res.Output("digit_scores")
			if number == nil || scores == nil {
				t.Fatalf("%s %s: outputs %v", proto, f, res.Outputs)
			}
			read := tensor.Data[string](number)[0]
			if len(read) != scores.Len() {
				t.Errorf("%s %s: %q read with %d digit scores", proto, f, read, scores.Len())
			}
			got = append(got, read)
		}
		if got[0] != got[1] {
			t.Errorf("%s: HTTP read %q, gRPC %q", f, got[0], got[1])
		}
		if got[0] == want {
			right++
		} else {
			t.Logf("%s read as %s", filepath.Base(f), got[0])
		}
	}
	t.Logf("%d of %d numbers read right", right, len(files))
	if right*4 < len(files)*3 {
		t.Errorf("%d of %d numbers read right, want at least 3 in 4", right, len(files))
	}
}

// TestReadNothing: a canvas with no digit on it reads as the empty
// number: the crop step cuts no rows, and the classifier step runs on a
// batch of none.
func TestReadNothing(t *testing.T) {
	in := servertest.Start(t, testutil.ExamplesCopy(t))
	blank := client.Input{Name: "image", Tensor: tensor.New(tensor.Float32, 1, 1, 16, 64)}
	for proto, c := range clients(t, in) {
		res, err := infer(context.Background(), c, "read-number", blank)
		if err != nil {
			t.Fatalf("%s: %v", proto, err)
		}
		number, scores := res.Output("number"), res.Output("digit_scores")
		if number == nil || tensor.Data[string](number)[0] != "" || scores == nil || scores.Len() != 0 {
			t.Errorf("%s: number %v, scores %v; want the empty number and no scores", proto, number, scores)
		}
	}
}

// TestReadNumberImagePOST: the seed route takes a canvas as an image
// POST (image/png) and answers with read-number's outputs, the number
// read as the v2 route reads it; a multipart upload of several canvases
// answers each file with the outputs its own POST answers. The detector
// alone, a model that takes images and ranks nothing, answers alike.
func TestReadNumberImagePOST(t *testing.T) {
	in := servertest.Start(t, testutil.ExamplesCopy(t))
	c := clients(t, in)["http"]
	files := []string{"4835_0.png", "140_0.png", "8_0.png"}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	single := map[string]map[string]json.RawMessage{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "examples", "read-number", "images", f))
		if err != nil {
			t.Fatal(err)
		}
		if w, err := mw.CreateFormFile("canvas", f); err != nil {
			t.Fatal(err)
		} else if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		var ans struct {
			Model   string                     `json:"model"`
			Outputs map[string]json.RawMessage `json:"outputs"`
		}
		postJSON(t, in.URL+"/models/read-number", "image/png", data, &ans)
		var number []string
		var scores []float64
		if err := errors.Join(json.Unmarshal(ans.Outputs["number"], &number), json.Unmarshal(ans.Outputs["digit_scores"], &scores)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		v2, err := infer(context.Background(), c, "read-number", client.Input{Name: "image", Tensor: tensor.MustFromSlice([]string{string(data)}, 1)})
		if err != nil {
			t.Fatal(err)
		}
		want := tensor.Data[string](v2.Output("number"))[0]
		if ans.Model != "read-number" || len(number) != 1 || number[0] != want || len(scores) != len(want) {
			t.Errorf("%s: POST answered %+v; the v2 route reads %q", f, ans, want)
		}
		single[f] = ans.Outputs
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	for _, model := range []string{"read-number", "read-number-detector"} {
		var ans struct {
			Results []struct {
				File    string                     `json:"file"`
				Outputs map[string]json.RawMessage `json:"outputs"`
			} `json:"results"`
		}
		postJSON(t, in.URL+"/models/"+model, mw.FormDataContentType(), body.Bytes(), &ans)
		if len(ans.Results) != len(files) {
			t.Fatalf("%s: %d results for %d files", model, len(ans.Results), len(files))
		}
		for i, r := range ans.Results {
			if model == "read-number-detector" {
				if r.File != files[i] || len(r.Outputs["scores"]) == 0 || len(r.Outputs["boxes"]) == 0 {
					t.Errorf("%s: result %d = %+v, want %s's scores and boxes", model, i, r, files[i])
				}
				continue
			}
			if r.File != files[i] || len(r.Outputs) != len(single[files[i]]) {
				t.Errorf("%s: result %d = %+v, want %s's outputs", model, i, r, files[i])
			}
			for name, want := range single[files[i]] {
				if got := r.Outputs[name]; !bytes.Equal(got, want) {
					t.Errorf("%s: %s: output %s = %s, its own POST answered %s", model, files[i], name, got, want)
				}
			}
		}
	}
}

// postJSON posts body and decodes the 200 answer into ans.
func postJSON(t *testing.T, url, contentType string, body []byte, ans any) {
	t.Helper()
	res, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s %v", url, res.StatusCode, data, err)
	}
	if err := json.Unmarshal(data, ans); err != nil {
		t.Fatalf("POST %s: %v in %s", url, err, data)
	}
}

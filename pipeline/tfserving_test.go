package pipeline_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/tensor"
)

// TestTFServing: pipelines answer the TF Serving REST API as models do:
// metadata, the row format (one prediction per instance) and the
// columnar format, by version label too; an output that is not one row
// per instance (read-number's digit scores) refuses the row format with a
// 400 saying to use the columnar one.
func TestTFServing(t *testing.T) {
	in := servertest.Start(t, testutil.ExamplesCopy(t))
	x := digitsBatch(2)
	rows := make([][][][]float32, 2)
	for i := range rows {
		img := tensor.Data[float32](x)[i*64 : (i+1)*64]
		rows[i] = [][][]float32{make([][]float32, 8)}
		for r := range 8 {
			rows[i][0][r] = img[r*8 : r*8+8]
		}
	}
	instances, _ := json.Marshal(map[string]any{"instances": []map[string]any{{"input": rows[0]}, {"input": rows[1]}}})
	var rowAns struct {
		Predictions []struct {
			Probs []float32 `json:"probs"`
			Digit string    `json:"digit"`
		} `json:"predictions"`
	}
	post(t, in.URL+"/v1/models/digits-ensemble:predict", string(instances), http.StatusOK, &rowAns)
	var colAns struct {
		Outputs struct {
			Probs [][]float32 `json:"probs"`
			Digit []string    `json:"digit"`
		} `json:"outputs"`
	}
	columnar, _ := json.Marshal(map[string]any{"inputs": map[string]any{"input": rows}})
	post(t, in.URL+"/v1/models/digits-ensemble/labels/production:predict", string(columnar), http.StatusOK, &colAns)
	if len(rowAns.Predictions) != 2 || len(colAns.Outputs.Probs) != 2 || len(colAns.Outputs.Digit) != 2 {
		t.Fatalf("row answer %+v, columnar %+v: want 2 predictions each", rowAns, colAns)
	}
	for i, p := range rowAns.Predictions {
		if !equalFloats(p.Probs, colAns.Outputs.Probs[i]) || p.Digit != colAns.Outputs.Digit[i] || p.Digit == "" {
			t.Errorf("instance %d: row %v %q, columnar %v %q", i, p.Probs, p.Digit, colAns.Outputs.Probs[i], colAns.Outputs.Digit[i])
		}
	}
	if md := get(t, in.URL+"/v1/models/digits-ensemble/metadata"); !strings.Contains(md, `"digit":{"dtype":"DT_STRING"`) || !strings.Contains(md, `"probs":{"dtype":"DT_FLOAT"`) {
		t.Errorf("metadata %s: want outputs digit (DT_STRING) and probs (DT_FLOAT)", md)
	}

	png, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "examples", "read-number", "images", "140_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	b64 := `{"b64":"` + base64.StdEncoding.EncodeToString(png) + `"}`
	var number struct {
		Outputs struct {
			Number []string `json:"number"`
		} `json:"outputs"`
	}
	post(t, in.URL+"/v1/models/read-number:predict", `{"inputs":{"image":[`+b64+`]}}`, http.StatusOK, &number)
	if len(number.Outputs.Number) != 1 || number.Outputs.Number[0] != "140" {
		t.Errorf("read-number, columnar: %+v, want 140", number)
	}
	var refused struct{ Error string }
	post(t, in.URL+"/v1/models/read-number:predict", `{"instances":[{"image":`+b64+`}]}`, http.StatusBadRequest, &refused)
	if !strings.Contains(refused.Error, "digit_scores") || !strings.Contains(refused.Error, "columnar") {
		t.Errorf("read-number, rows: %q, want digit_scores named and the columnar format suggested", refused.Error)
	}
}

// post posts a JSON body, checks the status and decodes the answer into v.
func post(t *testing.T, url, body string, status int, v any) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != status {
		t.Fatalf("POST %s: %d, want %d", url, res.StatusCode, status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
}

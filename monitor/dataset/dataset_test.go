package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

var oneInput = []engine.TensorInfo{{Name: "x", DType: tensor.Float32, Shape: []int{-1, 3}}}

func write(t *testing.T, name, content string) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRequests(t *testing.T) {
	jsonl := write(t, "d.jsonl", `{"inputs": {"x": [[1, 2, 3]]}, "label": 1}`+"\n\n"+
		`{"inputs": {"x": {"datatype": "FP32", "shape": [1, 3], "data": [[4, 5, 6]]}}}`+"\n")
	reqs, err := Requests(jsonl, oneInput)
	if err != nil || len(reqs) != 2 {
		t.Fatalf("jsonl: %v %d", err, len(reqs))
	}
	if x := tensor.Data[float32](reqs[1].Inputs["x"]); x[2] != 6 {
		t.Fatalf("captured tensor decoded as %v", x)
	}
	csv := write(t, "d.csv", "a,b,label,c\n1,2,0,3\n4,5,1,6\n")
	if reqs, err = Requests(csv, oneInput); err != nil || len(reqs) != 2 {
		t.Fatalf("csv: %v %d", err, len(reqs))
	}
	if x := tensor.Data[float32](reqs[1].Inputs["x"]); len(x) != 3 || x[2] != 6 {
		t.Fatalf("csv row %v: the label column must be left out", x)
	}
}

func TestRequestsBadInput(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"unknown format", "d.txt", "1", "want an image folder, a .jsonl or a .csv"},
		{"not JSON", "d.jsonl", "{", "d.jsonl:1"},
		{"no inputs", "d.jsonl", `{"label": 1}`, `no "inputs" object`},
		{"bad tensor", "d.jsonl", `{"inputs": {"x": [[1, "a"]]}}`, `input "x"`},
		{"empty jsonl", "d.jsonl", "\n", "no requests"},
		{"not a number", "d.csv", "a\nx\n", `column a: "x" is not a number`},
		{"no rows", "d.csv", "a,b\n", "no rows"},
	}
	for _, tt := range tests {
		_, err := Requests(write(t, tt.file, tt.content), oneInput)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Requests(t.TempDir(), oneInput); err == nil || !strings.Contains(err.Error(), "no images") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := Requests(filepath.Join(t.TempDir(), "missing"), oneInput); err == nil {
		t.Error("missing dataset: no error")
	}
}

package perf

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/tensor"
)

// npyFile encodes a .npy file (format 1.0) of the given header fields and
// element bytes.
func npyFile(descr, fortran, shape string, data []byte) []byte {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, fortran, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), byte(len(h)>>8))
	return append(append(b, h...), data...)
}

func le[T any](v ...T) []byte {
	b, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeNPY(t *testing.T) {
	tests := []struct {
		name  string
		file  []byte
		shape []int
		want  any
		err   string
	}{
		{"float32 matrix", npyFile("<f4", "False", "(2, 2)", le[float32](1, 2, 3, 4)), []int{2, 2}, []float32{1, 2, 3, 4}, ""},
		{"int64 vector", npyFile("<i8", "False", "(3,)", le[int64](7, -1, 16000)), []int{3}, []int64{7, -1, 16000}, ""},
		{"scalar", npyFile("<f8", "False", "()", le(math.Pi)), []int{}, []float64{math.Pi}, ""},
		{"bool", npyFile("|b1", "False", "(2,)", []byte{1, 0}), []int{2}, []bool{true, false}, ""},
		{"uint8", npyFile("|u1", "False", "(1, 2)", []byte{9, 255}), []int{1, 2}, []uint8{9, 255}, ""},
		{"fortran order", npyFile("<f4", "True", "(2, 2)", le[float32](1, 2, 3, 4)), nil, nil, "C order"},
		{"big-endian", npyFile(">f4", "False", "(1,)", le[float32](1)), nil, nil, "not supported"},
		{"complex", npyFile("<c8", "False", "(1,)", make([]byte, 8)), nil, nil, "not supported"},
		{"short data", npyFile("<f4", "False", "(3,)", le[float32](1, 2)), nil, nil, "needs 12 bytes"},
		{"not npy", []byte("PK\x03\x04 a zip file"), nil, nil, "magic"},
		{"huge shape", npyFile("<f4", "False", "(100000000000, 100000000000)", nil), nil, nil, "shape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeNPY(tc.file)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape(), tc.shape) || fmt.Sprint(got.Data()) != fmt.Sprint(tc.want) {
				t.Errorf("got %v %v, want %v %v", got.Shape(), got.Data(), tc.shape, tc.want)
			}
		})
	}
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMakeInputs(t *testing.T) {
	infos := []engine.TensorInfo{
		{Name: "audio", DType: tensor.Float32, Shape: []int{-1, -1}},
		{Name: "sr", DType: tensor.Int64, Shape: []int{}},
		{Name: "state", DType: tensor.Float32, Shape: []int{2, 1, 2}},
	}
	row := writeFile(t, "row.json", []byte(`[0.5, -0.25, 1]`))
	full := writeFile(t, "full.npy", npyFile("<f8", "False", "(2, 3)", le(1.0, 2, 3, 4, 5, 6)))
	body := writeFile(t, "body.json", []byte(`{"inputs": {"audio": [[1, 2], [3, 4]]}}`))
	state := writeFile(t, "state.raw", le[float32](1, 2, 3, 4))
	odd := writeFile(t, "odd.bin", le[float32](1, 2, 3))
	pair := writeFile(t, "pair.bin", le[float32](7, 8))
	tests := []struct {
		name   string
		batch  int
		values []string
		want   map[string]string // input: fmt of its data
		shapes map[string][]int
		err    string
	}{
		{"one row repeated, constants", 2, []string{"audio=" + row, "sr=16000", "state=0.5"},
			map[string]string{"audio": "[0.5 -0.25 1 0.5 -0.25 1]", "sr": "[16000]", "state": "[0.5 0.5 0.5 0.5]"},
			map[string][]int{"audio": {2, 3}, "sr": {}, "state": {2, 1, 2}}, ""},
		{"whole batch from .npy, converted", 2, []string{"audio=" + full, "sr=8000"},
			map[string]string{"audio": "[1 2 3 4 5 6]", "sr": "[8000]"}, map[string][]int{"audio": {2, 3}, "state": {2, 1, 2}}, ""},
		{"request body, raw whole", 2, []string{"audio=" + body, "state=" + state},
			map[string]string{"audio": "[1 2 3 4]", "state": "[1 2 3 4]"}, map[string][]int{"audio": {2, 2}, "state": {2, 1, 2}}, ""},
		{"raw one row repeated (--dim sizes it)", 3, []string{"audio=" + pair},
			map[string]string{"audio": "[7 8 7 8 7 8]"}, map[string][]int{"audio": {3, 2}}, ""},
		{"file batch differs", 4, []string{"audio=" + full}, nil, nil, "holds shape [2 3], the run needs [4 3]"},
		{"raw of the wrong size", 1, []string{"audio=" + row, "state=" + odd}, nil, nil, "holds 12 bytes, not [2 1 2] of FP32"},
		{"bad constant", 1, []string{"audio=" + row, "sr=16k"}, nil, nil, `constant "16k" is not one INT64 value`},
		{"unknown input", 1, []string{"speech=1"}, nil, nil, "no such input (inputs: audio, sr, state)"},
		{"unknown inputs", 1, []string{"zz=1", "speech=1", "tt=2", "uu=3"}, nil, nil, "--input speech: the model has no such input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Seed: 1, Values: map[string]Value{}, Dims: map[string]int{"audio:1": 2}}
			for _, s := range tc.values {
				name, v, err := ParseInput(s)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Values[name] = v
			}
			in, err := inputsFor(infos, tc.batch, cfg)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.want {
				if got := fmt.Sprint(in[name].Data()); got != want {
					t.Errorf("%s = %s, want %s", name, got, want)
				}
			}
			for name, want := range tc.shapes {
				if !slices.Equal(in[name].Shape(), want) {
					t.Errorf("%s has shape %v, want %v", name, in[name].Shape(), want)
				}
			}
		})
	}
}

func inputsFor(infos []engine.TensorInfo, batch int, cfg Config) (map[string]*tensor.Tensor, error) {
	files, err := decodeValues(infos, cfg.Values, nil)
	if err != nil {
		return nil, err
	}
	in, _, err := makeInputs(infos, nil, batch, cfg, files)
	return in, err
}

func TestParseInput(t *testing.T) {
	if _, _, err := ParseInput("x"); err == nil || !strings.Contains(err.Error(), "NAME=FILE") {
		t.Errorf("no '=': %v", err)
	}
	if _, _, err := ParseInput("x=missing.npy"); err == nil || !strings.Contains(err.Error(), "missing.npy") {
		t.Errorf("missing file: %v", err)
	}
	if name, v, err := ParseInput("sr=16000"); err != nil || name != "sr" || v.Const != "16000" {
		t.Errorf("constant: %q %+v %v", name, v, err)
	}
}

// TestRunWithValues: Run feeds the given values, and says which input a
// value does not fit.
func TestRunWithValues(t *testing.T) {
	flat, _ := json.Marshal(slices.Repeat([]float32{0.5}, 64))
	row := writeFile(t, "row.json", flat)
	_, v, err := ParseInput("input=" + row)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Engines: []string{"native", "perf-test-same"}, Batches: []int{1, 3}, Threads: []int{1}, Iterations: 2,
		Values: map[string]Value{"input": v}}
	_, err = Run(context.Background(), digitsMLP, cfg)
	if err == nil || !strings.Contains(err.Error(), "holds shape [64]") {
		t.Fatalf("a flat row for a [1 8 8] row: %v", err)
	}
	cfg.Values["input"] = Value{Const: "0.5"}
	rep, err := Run(context.Background(), digitsMLP, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 || !rep.Agree() {
		t.Errorf("%d results, agree %v", len(rep.Results), rep.Agree())
	}
}

// TestImageInput: an image goes through the model's config.yaml
// preprocessing (the digits CNN: gray, 8×8, /255), one row repeated for
// every row of the batch.
func TestImageInput(t *testing.T) {
	png := filepath.Join("..", "examples", "digits", "images", "3_0.png")
	_, v, err := ParseInput("input=" + png)
	if err != nil {
		t.Fatal(err)
	}
	s, err := engine.LoadPath(context.Background(), native.Engine{}, digitsCNN, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := Config{Values: map[string]Value{"input": v}}
	files, err := decodeValues(s.Inputs(), cfg.Values, imageDecoder(digitsCNN, s))
	if err != nil {
		t.Fatal(err)
	}
	in, _, err := makeInputs(s.Inputs(), nil, 3, cfg, files)
	if err != nil {
		t.Fatal(err)
	}
	x := in["input"]
	if !slices.Equal(x.Shape(), []int{3, 1, 8, 8}) {
		t.Fatalf("image input shape %v, want [3 1 8 8]", x.Shape())
	}
	d := tensor.Data[float32](x)
	lit := 0
	for i, p := range d {
		if p < 0 || p > 1 || p != d[i%64] {
			t.Fatalf("pixel %d = %v: not a [0, 1] pixel repeated per row", i, p)
		}
		if p > 0.5 {
			lit++
		}
	}
	if lit == 0 || lit == len(d) {
		t.Errorf("%d of %d pixels lit: not a digit", lit, len(d))
	}

	// A model file outside a repository layout has no preprocessing.
	bare := filepath.Join(t.TempDir(), "model.onnx")
	raw, err := os.ReadFile(digitsCNN)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bare, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), bare, Config{Engines: []string{"native"}, Batches: []int{1}, Threads: []int{1}, Iterations: 1, Values: cfg.Values})
	if err == nil || !strings.Contains(err.Error(), "image preprocessing") {
		t.Errorf("image for a bare model: %v, want an error about image preprocessing", err)
	}
}

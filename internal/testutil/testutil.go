package testutil

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// ExamplesDir is the example model repository served by the README.
func ExamplesDir() string { return filepath.Join(RepoRoot(), "examples", "models") }

// ExamplesCopy copies the example model repository into a temporary
// directory of t and returns it: for servers under test, which write to
// their repository (routing.yaml, when labels or traffic change through
// the API), so that tests leave the checkout as they found it.
func ExamplesCopy(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "models")
	if err := os.CopyFS(dst, os.DirFS(ExamplesDir())); err != nil {
		t.Fatalf("copying the examples: %v", err)
	}
	return dst
}

// DigitsDir holds the digits sample images and reference outputs.
func DigitsDir() string { return filepath.Join(RepoRoot(), "examples", "digits") }

// Reference is examples/digits/reference.json, written by train.py.
type Reference struct {
	Models map[string]struct {
		TestAccuracy   float64 `json:"test_accuracy"`
		SampleAccuracy float64 `json:"sample_accuracy"`
		SampleCorrect  int     `json:"sample_correct"`
		SampleImages   int     `json:"sample_images"`
	} `json:"models"`
	Images []struct {
		File   string `json:"file"`
		Label  string `json:"label"`
		Pixels []int  `json:"pixels"`
		// Per model name: the prediction and logits from PyTorch.
		Digits    ModelRef `json:"digits"`
		DigitsMLP ModelRef `json:"digits-mlp"`
	} `json:"images"`
}

// ModelRef is one model's reference answer for one image.
type ModelRef struct {
	Predicted string    `json:"predicted"`
	Logits    []float64 `json:"logits"`
}

// LoadReference reads the digits reference outputs.
func LoadReference(t testing.TB) *Reference {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(DigitsDir(), "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Reference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Images) == 0 {
		t.Fatal("reference.json has no images")
	}
	return &r
}

// ReadFile reads a file or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// PNGBomb returns a small, valid-looking PNG whose header declares a
// width x height canvas: a decompression bomb for a decoder that trusts it.
func PNGBomb(width, height uint32) []byte {
	var buf bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	_ = png.Encode(&buf, img)
	b := buf.Bytes()
	// IHDR data starts after the 8-byte signature, 4-byte length and 4-byte type.
	binary.BigEndian.PutUint32(b[16:], width)
	binary.BigEndian.PutUint32(b[20:], height)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

package model

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadFixture copies a fixture into dir/<name>/config.yaml and loads it.
func loadFixture(t *testing.T, fixture, name string, extra map[string]string) (*Config, string, error) {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for f, content := range extra {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(dir)
	return c, path, err
}

func TestGoodConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, _, err := loadFixture(t, f, "m", nil); err != nil {
				t.Fatalf("Load: %v", err)
			}
		})
	}
}

func TestBadConfigs(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, _ := os.ReadFile(f)
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("fixture must start with '# want: <error text>'")
			}
			_, path, err := loadFixture(t, f, "m", nil)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", want)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error does not wrap ErrInvalidConfig: %v", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file %s", err, path)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, _, err := loadFixture(t, "testdata/good/classifier.yaml", "m", nil)
	if err != nil {
		t.Fatal(err)
	}
	img := c.Preprocess.Image
	if c.Platform != "onnx" || img.Layout != "NCHW" || img.Input != "pixel_values" || *img.Scale != 1.0/255 || img.Resize.Filter != "bilinear" {
		t.Errorf("defaults not applied: platform %q layout %q input %q scale %v filter %q", c.Platform, img.Layout, img.Input, *img.Scale, img.Resize.Filter)
	}
	if c.Postprocess.Output != "logits" || c.Postprocess.TopK != 5 {
		t.Errorf("postprocess defaults: %+v", c.Postprocess)
	}
	if w, h, ok := img.OutputSize(); !ok || w != 224 || h != 224 {
		t.Errorf("OutputSize = %d, %d, %v", w, h, ok)
	}
}

func TestLabelsFile(t *testing.T) {
	const cfg = "testdata/good/nhwc.yaml" // output "scores" has 10 classes
	tests := []struct {
		name    string
		labels  string
		content string
		want    string // error text; "" for success
	}{
		{"ok", "labels.txt", strings.Repeat("cat\n", 10), ""},
		{"crlf and trailing blank lines", "labels.txt", strings.Repeat("cat\r\n", 10) + "\n\n", ""},
		{"count", "labels.txt", "a\nb\n", "labels.txt has 2 labels but output \"scores\" has 10 classes"},
		{"empty", "labels.txt", "", "labels.txt is empty"},
		{"missing", "nope.txt", "", "no such file"},
		{"escape", "../labels.txt", "", "must be a relative path inside the model directory"},
		{"absolute", "/etc/passwd", "", "must be a relative path inside the model directory"},
	}
	base, _ := os.ReadFile(cfg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "c.yaml")
			content := strings.Replace(string(base), "postprocess: {output: scores, top_k: 3}", "postprocess: {output: scores, top_k: 3, labels: "+tt.labels+"}", 1)
			os.WriteFile(f, []byte(content), 0o644)
			extra := map[string]string{}
			if tt.labels == "labels.txt" {
				extra["labels.txt"] = tt.content
			}
			c, _, err := loadFixture(t, f, "m", extra)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Labels) != 10 || c.Labels[9] != "cat" {
					t.Errorf("labels = %q", c.Labels)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestNameMustMatchDirectory(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(f, []byte("name: other\n"), 0o644)
	_, _, err := loadFixture(t, f, "mine", nil)
	if err == nil || !strings.Contains(err.Error(), `name: "other" does not match the directory name "mine"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestExampleConfigs(t *testing.T) {
	for _, name := range []string{"digits", "digits-mlp"} {
		c, err := Load(filepath.Join("..", "examples", "models", name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(c.Labels) != 10 || c.VersionLabels["production"] != 1 {
			t.Errorf("%s: labels %v, version labels %v", name, c.Labels, c.VersionLabels)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1", 1, true}, {"v1", 1, true}, {"V12", 12, true}, {"0", 0, false}, {"v0", 0, false},
		{"-1", 0, false}, {"+1", 0, false}, {"v", 0, false}, {"", 0, false}, {"production", 0, false},
		{"1.0", 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseVersion(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{"digits": true, "digits-mlp": true, "a.b_c": true, "": false, "..": false, "a/b": false, "-x": false, ".hidden": false, "a..b": false} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestErrorsNameTheFirstInOrder: of several bad entries of a map (labels,
// traffic weights), the error names the first in order, every time, not
// whichever a map iteration gave.
func TestErrorsNameTheFirstInOrder(t *testing.T) {
	tests := []struct {
		name  string
		parse func() error
		want  string
	}{
		{"config labels", func() error {
			_, err := Parse([]byte("version_labels: {zz: 0, \"1\": 1, yy: 0, mm: -1}\n"))
			return err
		}, `version_labels: "1" is not a valid label (letters, digits, _ . -, not a version number)`},
		{"config label versions", func() error {
			_, err := Parse([]byte("version_labels: {zz: 0, bb: -1, yy: 0, mm: -1}\n"))
			return err
		}, "version_labels.bb: version must be a positive integer, got -1"},
		{"routing labels", func() error {
			_, err := ParseRouting([]byte("labels: {zz: -1, cc: -2, yy: -3}\n"))
			return err
		}, "routing.yaml: labels.cc: version -2 is negative"},
		{"traffic weights", func() error {
			_, err := ParseTraffic(map[string]int{"9": -1, "3": -2, "7": -3, "5": 1})
			return err
		}, "version 3 has a negative weight -2"},
		{"traffic versions", func() error {
			_, err := ParseTraffic(map[string]int{"x": 1, "b": 1, "y": 1, "2": 1})
			return err
		}, `"b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // map order varies from one call to the next
				if err := tt.parse(); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want one with %q", err, tt.want)
				}
			}
		})
	}
}

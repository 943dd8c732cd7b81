package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/onnx"
)

// TestScaffoldParses checks that the config.yaml written for each example
// model parses, and says what it read from the model file.
func TestScaffoldParses(t *testing.T) {
	files, _ := filepath.Glob("../examples/*/*.onnx")
	more, _ := filepath.Glob("../examples/*/*/*/model.onnx")
	files = append(files, more...)
	if len(files) < 3 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			m, err := onnx.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize(m)
			text, err := Scaffold(s, ScaffoldOptions{Source: f})
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse(text)
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			if c.Preprocess != nil || c.Postprocess != nil || c.Inputs != nil {
				t.Errorf("a config without options sets %+v", c)
			}
			for _, in := range s.Inputs {
				if !strings.Contains(string(text), in.Name) {
					t.Errorf("input %q is not shown:\n%s", in.Name, text)
				}
			}
		})
	}
}

func TestScaffoldImage(t *testing.T) {
	m, err := onnx.Load("../examples/models/digits/1/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	text, err := Scaffold(Summarize(m), ScaffoldOptions{Image: true, Labels: "labels.txt"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	img := c.Preprocess.Image
	if w, h, _ := img.OutputSize(); img.Input != "input" || img.Color != "gray" || img.Layout != "NCHW" || w != 8 || h != 8 {
		t.Errorf("image section %+v", img)
	}
	if c.Postprocess.Labels != "labels.txt" || c.Postprocess.Softmax {
		t.Errorf("postprocess %+v", c.Postprocess)
	}
}

func TestYAMLString(t *testing.T) {
	for in, want := range map[string]string{"input": "input", "input:0": `"input:0"`, "1": `"1"`, "true": `"true"`, "-x": `"-x"`, "a b": `"a b"`, "": `""`} {
		if got := yamlString(in); got != want {
			t.Errorf("yamlString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNextVersion(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"1", "3", "07", "x", ".add-1"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := nextVersion(dir); n != 4 || err != nil {
		t.Errorf("nextVersion = %d, %v; want 4", n, err)
	}
	if n, err := nextVersion(filepath.Join(dir, "none")); n != 1 || err != nil {
		t.Errorf("nextVersion of a new model = %d, %v; want 1", n, err)
	}
}

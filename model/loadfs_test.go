package model

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadFS(t *testing.T) {
	const outputs = "outputs: [{name: scores, datatype: FP32, shape: [-1, 2]}]\n"
	tests := []struct {
		name  string
		dir   string
		files fstest.MapFS
		want  string // error text; "" for success
	}{
		{"ok", "repo/m", fstest.MapFS{"config.yaml": {Data: []byte("description: d\n")}}, ""},
		{"labels in a subdirectory", "repo/m", fstest.MapFS{
			"config.yaml":     {Data: []byte(outputs + "postprocess: {labels: meta/../meta/labels.txt}\n")},
			"meta/labels.txt": {Data: []byte("a\nb\n")},
		}, ""},
		{"missing config is the default", "repo/m", fstest.MapFS{"1/model.onnx": {Data: []byte("x")}}, ""},
		{"bad key", "repo/m", fstest.MapFS{"config.yaml": {Data: []byte("bogus: 1\n")}}, `repo/m/config.yaml: line 1: unknown key "bogus"`},
		{"name mismatch", "repo/m", fstest.MapFS{"config.yaml": {Data: []byte("name: x\n")}}, `repo/m/config.yaml: name: "x" does not match the directory name "m"`},
		{"url dir", "s3://bucket/models/m", fstest.MapFS{"config.yaml": {Data: []byte("name: x\n")}}, `s3://bucket/models/m/config.yaml: name: "x" does not match the directory name "m"`},
		{"missing labels", "repo/m", fstest.MapFS{"config.yaml": {Data: []byte("postprocess: {labels: l.txt}\n")}}, "repo/m/config.yaml: postprocess.labels: open repo/m/l.txt: file does not exist"},
		{"labels escape", "repo/m", fstest.MapFS{"config.yaml": {Data: []byte("postprocess: {labels: ../l.txt}\n")}}, "must be a relative path inside the model directory"},
		{"labels absolute", "repo/m", fstest.MapFS{"config.yaml": {Data: []byte("postprocess: {labels: /l.txt}\n")}}, "must be a relative path inside the model directory"},
		{"label count", "repo/m", fstest.MapFS{
			"config.yaml": {Data: []byte(outputs + "postprocess: {labels: l.txt}\n")},
			"l.txt":       {Data: []byte("a\n")},
		}, `l.txt has 1 labels but output "scores" has 2 classes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFS(tt.files, tt.dir)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Dir != tt.dir {
					t.Errorf("Dir = %q, want %q", c.Dir, tt.dir)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error does not wrap ErrInvalidConfig: %v", err)
			}
		})
	}
}

// TestLoadFSWithoutConfig checks that config.yaml is optional: a plain
// model directory has the default config.
func TestLoadFSWithoutConfig(t *testing.T) {
	c, err := LoadFS(fstest.MapFS{}, "repo/m")
	if err != nil {
		t.Fatal(err)
	}
	if c.Platform != "onnx" || c.Dir != "repo/m" || c.Inputs != nil || c.Preprocess != nil || c.Postprocess != nil {
		t.Errorf("config = %+v, want the default", c)
	}
}

// TestLoadFSConfigUnreadable checks that a config.yaml that exists but
// cannot be read is still an error.
func TestLoadFSConfigUnreadable(t *testing.T) {
	_, err := LoadFS(fstest.MapFS{"config.yaml": {Mode: fs.ModeDir}}, "m")
	if err == nil || !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("err = %v, want an invalid config", err)
	}
}

func TestFSPath(t *testing.T) {
	for in, want := range map[string]string{"l.txt": "l.txt", "a/./b.txt": "a/b.txt", "a/../b.txt": "b.txt", "../x": "", "/etc/passwd": "", "": "", ".": "."} {
		got, err := FSPath(in)
		if (err == nil) != (want != "") || got != want {
			t.Errorf("FSPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestLoadWithoutConfig(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(dir)
	if err != nil || c.Dir != dir || c.Platform != "onnx" {
		t.Fatalf("Load = %+v, %v; want the default config", c, err)
	}
}

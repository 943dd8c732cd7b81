package imagebuild

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	tests := []struct {
		in      string
		want    Selector
		wantErr string
	}{
		{"digits", Selector{Model: "digits"}, ""},
		{"digits:2", Selector{Model: "digits", Version: "2"}, ""},
		{"digits-mlp:v3", Selector{Model: "digits-mlp", Version: "v3"}, ""},
		{"digits:production", Selector{Model: "digits", Version: "production"}, ""},
		{"", Selector{}, `"" is not a valid model name`},
		{"bad name", Selector{}, `"bad name" is not a valid model name`},
		{"../etc:1", Selector{}, "not a valid model name"},
		{"digits:", Selector{}, "empty version"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSelector(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
			if got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

// testRepo makes a repository with a (versions 1, 2, 3, labels), b
// (version 1), broken (an invalid config.yaml) and empty (no versions).
func testRepo(t *testing.T) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a", "config.yaml"), "version_labels:\n  production: 2\n  old: 1\n")
	for v := 1; v <= 3; v++ {
		writeFile(t, filepath.Join(root, "a", fmt.Sprint(v), "model.onnx"), fmt.Sprintf("a%d", v))
	}
	writeFile(t, filepath.Join(root, "b", "config.yaml"), "description: b\n")
	writeFile(t, filepath.Join(root, "b", "1", "model.onnx"), "b1")
	writeFile(t, filepath.Join(root, "broken", "config.yaml"), "no_such_key: 1\n")
	writeFile(t, filepath.Join(root, "broken", "1", "model.onnx"), "x")
	writeFile(t, filepath.Join(root, "empty", "config.yaml"), "")
	writeFile(t, filepath.Join(root, "nofile", "config.yaml"), "")
	writeFile(t, filepath.Join(root, "nofile", "1", "README"), "no model.onnx here")
	return root
}

func TestSelectModels(t *testing.T) {
	root := testRepo(t)
	tests := []struct {
		name    string
		sels    []string
		want    string // model:versions, space separated
		wantErr string
	}{
		{"whole model", []string{"a"}, "a:1,2,3", ""},
		{"two models", []string{"b", "a:1"}, "a:1 b:1", ""},
		{"versions and forms", []string{"a:3", "a:v1"}, "a:1,3", ""},
		{"label", []string{"a:production"}, "a:2", ""},
		{"all wins over one", []string{"a:1", "a"}, "a:1,2,3", ""},
		{"duplicates", []string{"a:2", "a:production"}, "a:2", ""},
		{"every model by default", nil, "", "model broken"},
		{"unknown model", []string{"c"}, "", `model "c" is not in repository`},
		{"unknown version", []string{"a:4"}, "", "model a has no version 4"},
		{"unknown label", []string{"a:canary"}, "", `"canary" is neither a version number nor a version label of a`},
		{"invalid config", []string{"broken"}, "", `unknown key "no_such_key"`},
		{"no versions", []string{"empty"}, "", "model empty has no versions"},
		{"no model file", []string{"nofile"}, "", "version 1 has no model.onnx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sels []Selector
			for _, s := range tt.sels {
				sel, err := ParseSelector(s)
				if err != nil {
					t.Fatal(err)
				}
				sels = append(sels, sel)
			}
			got, err := SelectModels(root, sels)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, m := range got {
				var vs []string
				for _, v := range m.Versions {
					vs = append(vs, fmt.Sprint(v.Number))
					if len(v.SHA256) != 64 || v.Size != 2 {
						t.Errorf("%s/%d: sha256 %q size %d", m.Name, v.Number, v.SHA256, v.Size)
					}
				}
				parts = append(parts, m.Name+":"+strings.Join(vs, ","))
			}
			if s := strings.Join(parts, " "); s != tt.want {
				t.Errorf("selected %q, want %q", s, tt.want)
			}
		})
	}
}

func TestSelectModelsRepositoryErrors(t *testing.T) {
	if _, err := SelectModels(filepath.Join(t.TempDir(), "missing"), nil); err == nil || !strings.Contains(err.Error(), "reading model repository") {
		t.Errorf("missing repository: %v", err)
	}
	if _, err := SelectModels(t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "holds no models") {
		t.Errorf("empty repository: %v", err)
	}
}

func TestSelectModelsSHA256(t *testing.T) {
	got, err := SelectModels(testRepo(t), []Selector{{Model: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	// sha256("b1")
	const want = "7dc96f776c8423e57a2785489a3f9c43fb6e756876d6ad9a9cac4aa4e72ec193"
	if got[0].Versions[0].SHA256 != want {
		t.Errorf("sha256 = %s, want %s", got[0].Versions[0].SHA256, want)
	}
}

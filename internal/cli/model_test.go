package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/serving"
)

func digitsModel() string { return filepath.Join(testutil.ExamplesDir(), "digits", "1", "model.onnx") }

// TestModelAddServes is the newcomer's path: `inferd model add my.onnx
// --name my --image`, then serve the repository and post an image.
func TestModelAddServes(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		label string // the top prediction of the image of a 3
		k     int    // predictions per image
	}{
		{"image", []string{"--image"}, "3", 5},
		{"image and labels", []string{"--image", "--labels", filepath.Join(testutil.ExamplesDir(), "digits", "labels.txt")}, "3", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "models")
			out, err := execute(append([]string{"model", "add", digitsModel(), "--name", "my", "--repository", repo}, tt.args...)...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, want := range []string{"added my version 1", "inferd serve --repository " + repo, "localhost:8080/models/my"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			preds := serveAndPredict(t, repo, "my", filepath.Join(testutil.DigitsDir(), "images", "3_0.png"))
			if len(preds) != tt.k || !strings.HasPrefix(preds[0], tt.label) {
				t.Errorf("predictions = %v, want %d with %q first", preds, tt.k, tt.label)
			}
		})
	}
}

// serveAndPredict serves the repository as inferd serve would and returns
// the labels predicted for the image.
func serveAndPredict(t *testing.T, repo, name, image string) []string {
	t.Helper()
	img, err := os.ReadFile(image)
	if err != nil {
		t.Fatal(err)
	}
	m := serving.New()
	defer m.Close()
	ctx := context.Background()
	if err := m.Load(ctx, repository.NewDir(repo)); err != nil {
		t.Fatal(err)
	}
	v, err := m.Acquire(name, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	res, err := v.Infer(ctx, &serving.Request{Images: [][]byte{img}, Predictions: true})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, p := range res.Predictions[0] {
		labels = append(labels, p.Label)
	}
	return labels
}

func TestModelAddRefusals(t *testing.T) {
	iris := filepath.Join(testutil.RepoRoot(), "examples", "sklearn", "random_forest_iris.onnx")
	short := filepath.Join(t.TempDir(), "short.txt")
	if err := os.WriteFile(short, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"existing version", []string{digitsModel(), "--name", "m", "--version", "1"}, "m/1 already exists"},
		{"bad name", []string{digitsModel(), "--name", "a/b"}, `"a/b" is not a valid model name`},
		{"no name", []string{digitsModel()}, `required flag(s) "name" not set`},
		{"not onnx", []string{short, "--name", "x"}, "is not a usable ONNX model"},
		{"image on a table model", []string{iris, "--name", "iris", "--image"}, "image preprocessing needs 4 dimensions"},
		{"label count", []string{digitsModel(), "--name", "d", "--labels", short}, `short.txt has 2 labels but output "logits" has 10 classes`},
		{"missing labels", []string{digitsModel(), "--name", "d", "--labels", short + ".nope"}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := t.TempDir()
			if out, err := execute("model", "add", digitsModel(), "--name", "m", "--repository", repo); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			out, err := execute(append([]string{"model", "add", "--repository", repo}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q\n%s", err, tt.want, out)
			}
			if tt.name != "existing version" {
				if _, err := os.Stat(filepath.Join(repo, "d")); err == nil {
					t.Errorf("a refused add left the model directory behind")
				}
			}
		})
	}
}

// TestModelAddNextVersion checks the version numbering and that a second
// version keeps the model's config.yaml.
func TestModelAddNextVersion(t *testing.T) {
	repo := t.TempDir()
	for i, want := range []string{"added m version 1", "added m version 2", "added m version 7", "added m version 8"} {
		args := []string{"model", "add", digitsModel(), "--name", "m", "--repository", repo}
		if i == 1 {
			args = append(args, "--image")
		}
		if i == 2 {
			args = append(args, "--version", "7")
		}
		out, err := execute(args...)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("add %d: %v, want %q:\n%s", i, err, want, out)
		}
		if i == 1 && !strings.Contains(out, "kept the existing") {
			t.Errorf("add 2 with --image does not say config.yaml was kept:\n%s", out)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(repo, "m"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "1 2 7 8 config.yaml" {
		t.Errorf("model directory holds %s (staging left behind?)", got)
	}
}

func TestModelInspect(t *testing.T) {
	out, err := execute("model", "inspect", digitsModel())
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"pytorch", "ai.onnx 13", "tensor(FP32)[batch,1,8,8]", "logits", "Conv 2", "native   yes", "ort"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	out, err = execute("model", "inspect", "--json", filepath.Join(testutil.RepoRoot(), "examples", "sklearn", "random_forest_iris.onnx"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var s struct {
		Opsets    map[string]int `json:"opsets"`
		Outputs   []struct{ Name, Type string }
		Operators []struct {
			Op    string
			Count int
		}
		Engines []struct {
			Engine    string
			Supported bool
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if s.Opsets["ai.onnx.ml"] != 3 || len(s.Outputs) != 2 || !strings.HasPrefix(s.Outputs[1].Type, "seq(map") ||
		len(s.Operators) != 2 || s.Operators[0].Op != "ai.onnx.ml.TreeEnsembleClassifier" {
		t.Errorf("summary = %+v", s)
	}
	native := false
	for _, e := range s.Engines {
		native = native || e.Engine == "native" && e.Supported
	}
	if !native {
		t.Errorf("engines = %+v, want native supported", s.Engines)
	}
}

// Push uploads a model directory to a file:// repository that a source
// then lists: the chosen versions, whole, with the model's files.
func TestModelPush(t *testing.T) {
	repo := t.TempDir()
	url := "file://" + repo
	digits := filepath.Join(testutil.ExamplesDir(), "digits")
	out, _, err := execInferd(t, "model", "push", digits, url)
	if err != nil || !strings.Contains(out, "pushed digits version 1 to file://") {
		t.Fatalf("push: %q, %v", out, err)
	}
	src, err := bucket.Open(context.Background(), url, bucket.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	e, err := src.Get(context.Background(), "digits")
	if err != nil || e.Config == nil || len(e.Versions) != 1 || e.Versions[0].Err != nil || len(e.Config.Labels) != 10 {
		t.Fatalf("pushed entry %+v, %v: want digits version 1 with its config and labels", e, err)
	}
	if _, _, err := execInferd(t, "model", "push", digits, url, "--version", "7"); err == nil || !strings.Contains(err.Error(), "no version directory 7") {
		t.Fatalf("pushing a missing version: %v", err)
	}
}

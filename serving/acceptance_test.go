package serving

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/repository"
)

// A version whose acceptance case fails is FAILED with the case in its
// error, and the version before it keeps serving; passing cases let a
// version serve.
func TestAcceptanceTests(t *testing.T) {
	onnx, err := os.ReadFile(filepath.Join(testutil.ExamplesDir(), "digits", "1", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := os.ReadFile(filepath.Join(testutil.DigitsDir(), "images", "7_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	config := "preprocess: {image: {color: gray, resize: {width: 8, height: 8, filter: area}, scale: 0.00392156862745098}}\npostprocess: {softmax: true, top_k: 3}\n"
	zeros := "[[[" + strings.Repeat("[0,0,0,0,0,0,0,0],", 7) + "[0,0,0,0,0,0,0,0]]]]"
	tests := []struct {
		name, acceptance string
		want             string // "" when version 2 serves, else its error
	}{
		{"passes", "cases:\n- {name: seven, image: seven.png, label: \"7\", top_k: [\"7\"], score: {min: 0.5}, latency_ms: 60000}\n- {name: zeros, inputs: {input: " + zeros + "}, outputs: {logits: {min: -1000, max: 1000}}}\n", ""},
		{"wrong label", "cases:\n- {name: seven, image: seven.png, label: \"1\"}\n", `acceptance case "seven" of m/2/acceptance.yaml failed: want class 1, got 7`},
		{"top-k set", "cases:\n- {image: seven.png, top_k: [\"1\", \"2\"]}\n", "acceptance case 1 of m/2/acceptance.yaml failed: want top 2 classes [1 2], got [7"},
		{"value range", "cases:\n- {name: zeros, inputs: {input: " + zeros + "}, outputs: {logits: {max: -100}}}\n", `output "logits" value 0 is`},
		{"latency budget", "cases:\n- {name: slow, image: seven.png, latency_ms: 0.000001}\n", "over its budget of 1e-06 ms"},
		{"bad file", "cases:\n- {name: x, image: seven.png, lable: \"7\"}\n", "field lable not found"},
		{"missing image", "cases:\n- {name: x, image: nope.png, label: \"7\"}\n", "nope.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			write := func(files map[string][]byte) {
				for name, data := range files {
					p := filepath.Join(root, "m", name)
					os.MkdirAll(filepath.Dir(p), 0o755)
					if err := os.WriteFile(p, data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			write(map[string][]byte{"config.yaml": []byte(config), "1/model.onnx": onnx})
			m := New(WithSettle(0))
			defer m.Close()
			ctx := context.Background()
			if err := m.Load(ctx, repository.NewDir(root)); err != nil {
				t.Fatal(err)
			}
			// Version 2 arrives while version 1 serves.
			write(map[string][]byte{"2/acceptance.yaml": []byte(tt.acceptance), "2/seven.png": img})
			write(map[string][]byte{"2/model.onnx": onnx})
			if err := m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			mod, err := m.Model("m")
			if err != nil {
				t.Fatal(err)
			}
			v2 := mod.Version(2)
			if tt.want == "" {
				if st := v2.Status(); st.State != StateAvailable {
					t.Fatalf("version 2 is %s: %v", st.State, st.Err)
				}
				return
			}
			st := v2.Status()
			if st.State != StateFailed || st.Err == nil || !strings.Contains(st.Err.Error(), tt.want) {
				t.Fatalf("version 2 is %s with %v, want FAILED with %q", st.State, st.Err, tt.want)
			}
			v, err := m.Acquire("m", "", "")
			if err != nil {
				t.Fatal(err)
			}
			defer v.Release()
			if v.Number != 1 || v.State() != StateAvailable {
				t.Fatalf("serving version %d (%s), want 1", v.Number, v.State())
			}
		})
	}
}

package serving_test

import (
	"strings"
	"testing"

	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving"
)

// Readiness under each policy as models load, fail to load, and stop
// serving, over the control loop with a memory repository.
func TestReadinessPolicies(t *testing.T) {
	policies := []string{"loaded", "all", "any", "good", "good,bad"}
	steps := []struct {
		name   string
		change func(src *repository.Memory)
		// ready per policy, in the order of policies
		ready []bool
		// why holds, for each not-ready policy, a part of the reason
		why string
	}{
		{"one good model", func(*repository.Memory) {}, []bool{true, true, true, true, false}, "bad"},
		{"a bad upload never loads", func(src *repository.Memory) {
			src.Put("bad/config.yaml", []byte("engine: fake\n"))
			src.Put("bad/1/model.onnx", []byte("junk"))
		}, []bool{true, false, true, true, false}, "bad"},
		{"the good model stops serving", func(src *repository.Memory) {
			src.Remove("good/1")
			src.Put("good/2/model.onnx", []byte("junk"))
		}, []bool{false, false, false, false, false}, "good"},
		{"it serves again", func(src *repository.Memory) { src.Put("good/2/model.onnx", scaled(2)) }, []bool{true, false, true, true, false}, "bad"},
		{"the bad one is fixed", func(src *repository.Memory) { src.Put("bad/1/model.onnx", scaled(1)) }, []bool{true, true, true, true, true}, ""},
	}
	for pi, policy := range policies {
		t.Run(policy, func(t *testing.T) {
			r, err := serving.ParseReadiness(policy)
			if err != nil {
				t.Fatal(err)
			}
			src := repository.NewMemory()
			src.Put("good/config.yaml", []byte("engine: fake\n"))
			src.Put("good/1/model.onnx", scaled(1))
			m := memManager(t, src, serving.WithReadiness(r))
			for _, st := range steps {
				st.change(src)
				syncNow(t, m)
				ready, why := m.Ready()
				if ready != st.ready[pi] {
					t.Fatalf("%s: ready %v (%s), want %v", st.name, ready, why, st.ready[pi])
				}
				if !ready && !strings.Contains(why, st.why) {
					t.Fatalf("%s: not ready because %q, want it to name %q", st.name, why, st.why)
				}
			}
		})
	}
}

func TestParseReadiness(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"", "loaded", false},
		{"loaded", "loaded", false},
		{"all", "all", false},
		{"any", "any", false},
		{"digits, digits-mlp", "models digits,digits-mlp", false},
		{"digits,,x", "", true},
	}
	for _, tt := range tests {
		r, err := serving.ParseReadiness(tt.in)
		if (err != nil) != tt.err || (err == nil && r.String() != tt.want) {
			t.Errorf("ParseReadiness(%q) = %v, %v; want %q (error %v)", tt.in, r, err, tt.want, tt.err)
		}
	}
}

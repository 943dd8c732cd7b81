package serving_test

import (
	"runtime"
	"testing"
)

// A batching version opens no more instances than the cores can run at
// once with every instance's threads; without batching, as configured.
// Each version serves requests with the sessions it opened.
func TestBatchingInstancesFitCores(t *testing.T) {
	sample(t)
	cores := runtime.GOMAXPROCS(0)
	const batching = "batching: {max_batch_size: 8, max_queue_delay: 1ms}\n"
	tests := []struct {
		name, cfg string
		want      int
	}{
		{"no batching", "instances: 3\n", 3},
		{"batching, default threads", batching + "instances: 3\n", 1},
		{"batching, one thread each", batching + "instances: 3\nthreads: 1\n", min(3, cores)},
		{"batching, one instance", batching + "threads: 1\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := manager(t, repo(t, tt.cfg, map[int]string{1: cnn}))
			mod, err := m.Model("m")
			if err != nil {
				t.Fatal(err)
			}
			st := mod.Version(1).Status()
			if st.Err != nil || st.Instances != tt.want {
				t.Fatalf("instances %d (err %v), want %d on %d cores", st.Instances, st.Err, tt.want, cores)
			}
			for range 3 {
				if _, err := classify(m, "", ""); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

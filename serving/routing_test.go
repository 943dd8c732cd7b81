package serving_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/serving"
)

// Two replicas over one repository: a label or traffic change made
// through one is written to routing.yaml, the other follows it at its
// next sync, and a restart keeps it.
func TestRoutingIsSharedThroughTheRepository(t *testing.T) {
	src := repository.NewMemory()
	src.Put("m/config.yaml", []byte("engine: fake\nversion_policy: all\nversion_labels: {stable: 1}\n"))
	src.Put("m/1/model.onnx", scaled(1))
	src.Put("m/2/model.onnx", scaled(2))
	a, b := memManager(t, src), memManager(t, src)

	steps := []struct {
		name   string
		change func() error
		labels string
	}{
		{"a label moved on replica a", func() error { return a.SetLabel("m", "stable", 2) }, "stable=2"},
		{"a new label on replica b", func() error { return b.SetLabel("m", "canary", 1) }, "canary=1 stable=2"},
		{"a config label deleted on replica a", func() error { return a.DeleteLabel("m", "stable") }, "canary=1"},
	}
	for _, st := range steps {
		if err := st.change(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		syncNow(t, a)
		syncNow(t, b)
		for i, m := range []*serving.Manager{a, b} {
			if got := labelsOf(t, m); got != st.labels {
				t.Fatalf("%s: replica %d has labels %q, want %q", st.name, i, got, st.labels)
			}
		}
	}
	if err := b.SetTraffic("m", map[string]int{"1": 90, "2": 10}); err != nil {
		t.Fatal(err)
	}
	syncNow(t, a)
	if mod, _ := a.Model("m"); len(mod.Traffic()) != 2 {
		t.Fatalf("replica a's traffic %v, want b's split", mod.Traffic())
	}
	restarted := memManager(t, src)
	if got := labelsOf(t, restarted); got != "canary=1" {
		t.Fatalf("after a restart: labels %q, want canary=1", got)
	}
	e, _ := src.Get(context.Background(), "m")
	if e.Routing == nil || e.Routing.Generation != 4 || e.Routing.UpdatedBy == "" {
		t.Fatalf("routing.yaml = %+v, want generation 4 with its writer", e.Routing)
	}
}

// Concurrent changes from many replicas all survive: a write based on a
// stale routing.yaml is refused (compare and swap) and retried on the new
// one, never lost.
func TestConcurrentRoutingChangesAreNotLost(t *testing.T) {
	src := repository.NewMemory()
	src.Put("m/config.yaml", []byte("engine: fake\n"))
	src.Put("m/1/model.onnx", scaled(1))
	replicas := make([]*serving.Manager, 4)
	for i := range replicas {
		replicas[i] = memManager(t, src)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(replicas)*3)
	for i, m := range replicas {
		wg.Go(func() {
			for j := range 3 {
				if err := m.SetLabel("m", fmt.Sprintf("r%d-%d", i, j), 1); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	e, _ := src.Get(context.Background(), "m")
	if e.Routing == nil {
		t.Fatal("no routing.yaml")
	}
	if n := len(e.Routing.Labels); n != 12 {
		t.Fatalf("%d labels in routing.yaml, want 12 (4 replicas × 3): %v", n, e.Routing.Labels)
	}
	// A write based on an old content is refused.
	err := src.WriteRouting(context.Background(), "m", (&model.Routing{}).Marshal(), "stale")
	if !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("a stale write: %v, want ErrConflict", err)
	}
}

func labelsOf(t *testing.T, m *serving.Manager) string {
	t.Helper()
	mod, err := m.Model("m")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for l, v := range mod.Labels() {
		out = append(out, fmt.Sprintf("%s=%d", l, v))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

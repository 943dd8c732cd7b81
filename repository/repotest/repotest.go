// Package repotest holds checks that every repository source must pass,
// for the tests of each source.
package repotest

import (
	"context"
	"errors"
	"testing"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// CheckRoutingWrites walks the RoutingWriter of src, which must hold a
// model "m" with a config.yaml and no routing.yaml, through a creation, a
// change based on the current content, and writes based on stale
// content, which must fail with repository.ErrConflict.
func CheckRoutingWrites(t *testing.T, src repository.Source) {
	t.Helper()
	ctx := context.Background()
	w, ok := repository.Writer(src)
	if !ok {
		t.Fatalf("%s does not store routing.yaml", src)
	}
	first := (&model.Routing{Generation: 1, Labels: map[string]int{"stable": 1}}).Marshal()
	if err := w.WriteRouting(ctx, "m", first, "x"); !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("a write based on a file that does not exist: %v, want ErrConflict", err)
	}
	if err := w.WriteRouting(ctx, "m", first, ""); err != nil {
		t.Fatal(err)
	}
	e, err := src.Get(ctx, "m")
	if err != nil || e.Routing == nil || e.Routing.Labels["stable"] != 1 || e.RoutingID != repository.RoutingID(first) {
		t.Fatalf("after the first write: %+v %v", e.Routing, err)
	}
	second := (&model.Routing{Generation: 2, Labels: map[string]int{"stable": 2}}).Marshal()
	if err := w.WriteRouting(ctx, "m", second, ""); !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("a creation over an existing file: %v, want ErrConflict", err)
	}
	if err := w.WriteRouting(ctx, "m", second, e.RoutingID); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRouting(ctx, "m", first, e.RoutingID); !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("a write based on the replaced content: %v, want ErrConflict", err)
	}
	if e, _ = src.Get(ctx, "m"); e.Routing == nil || e.Routing.Generation != 2 {
		t.Fatalf("routing after a refused write: %+v, want generation 2 kept", e.Routing)
	}
}

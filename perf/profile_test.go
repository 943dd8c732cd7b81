package perf

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
)

// TestRunProfile profiles the digits CNN on the native engine: every
// operator of the run is listed, the shares add up to one, and the text
// report shows the operator table.
func TestRunProfile(t *testing.T) {
	rep, err := Run(context.Background(), digitsCNN, Config{
		Engines: []string{"native"}, Batches: []int{2}, Threads: []int{1}, Iterations: 3, Profile: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Profiles) != 1 {
		t.Fatalf("%d profiles, want 1", len(rep.Profiles))
	}
	p := rep.Profiles[0]
	if p.Engine != "native" || p.Batch != 2 || p.Runs != profileRuns || p.TotalMs <= 0 {
		t.Fatalf("profile %+v", p)
	}
	var share float64
	conv := false
	for _, r := range p.ByOp {
		share += r.Share
		conv = conv || strings.HasPrefix(r.Name, "Conv") && r.Steps > 0
	}
	if math.Abs(share-1) > 1e-9 || !conv {
		t.Fatalf("shares add up to %v, Conv listed: %v (%+v)", share, conv, p.ByOp)
	}
	if len(p.ByNode) < len(p.ByOp) {
		t.Fatalf("%d nodes for %d operators", len(p.ByNode), len(p.ByOp))
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "profile of native, threads 1, batch 2") || !strings.Contains(buf.String(), "slowest nodes") {
		t.Fatalf("text report lacks the profile:\n%s", buf.String())
	}
}

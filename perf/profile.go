package perf

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// stepProfiler is implemented by sessions that time each step of a run
// (engine/native): step receives the node's name, its operator (with what
// fusion added to it) and the time it took.
type stepProfiler interface {
	RunProfiled(ctx context.Context, in map[string]*tensor.Tensor, step func(node, op string, d time.Duration)) (map[string]*tensor.Tensor, error)
}

// Profile is where the time of one engine, thread count and batch size
// goes: per operator and per node, averaged over Runs profiled runs.
type Profile struct {
	Engine  string `json:"engine"`
	Threads int    `json:"threads"`
	Batch   int    `json:"batch"`
	Runs    int    `json:"runs"`
	// TotalMs is the time of the steps of one run.
	TotalMs float64      `json:"total_ms"`
	ByOp    []ProfileRow `json:"by_op"`
	ByNode  []ProfileRow `json:"by_node"`
}

// ProfileRow is the time of one operator (or node) per run, its share of
// TotalMs and how many steps it has.
type ProfileRow struct {
	Name  string  `json:"name"`
	Op    string  `json:"op,omitempty"`
	Ms    float64 `json:"ms"`
	Share float64 `json:"share"`
	Steps int     `json:"steps"`
}

// profileRuns is how many runs a profile averages.
const profileRuns = 20

// profile times every step of profileRuns runs of s, or returns nil when
// s cannot time its steps.
func profile(ctx context.Context, s engine.Session, in map[string]*tensor.Tensor, name string, threads, batch int) (*Profile, error) {
	ps, ok := s.(stepProfiler)
	if !ok {
		return nil, nil
	}
	type acc struct {
		op    string
		d     time.Duration
		steps int
	}
	ops, nodes := map[string]*acc{}, map[string]*acc{}
	add := func(m map[string]*acc, key, op string, d time.Duration, first bool) {
		a := m[key]
		if a == nil {
			a = &acc{op: op}
			m[key] = a
		}
		a.d += d
		if first {
			a.steps++
		}
	}
	var total time.Duration
	for i := range profileRuns {
		_, err := ps.RunProfiled(ctx, in, func(node, op string, d time.Duration) {
			total += d
			add(ops, op, "", d, i == 0)
			add(nodes, node, op, d, i == 0)
		})
		if err != nil {
			return nil, err
		}
	}
	p := &Profile{Engine: name, Threads: threads, Batch: batch, Runs: profileRuns, TotalMs: ms(total) / profileRuns}
	rows := func(m map[string]*acc) []ProfileRow {
		var out []ProfileRow
		for k, a := range m {
			r := ProfileRow{Name: k, Op: a.op, Ms: ms(a.d) / profileRuns, Steps: a.steps}
			if total > 0 {
				r.Share = float64(a.d) / float64(total)
			}
			out = append(out, r)
		}
		slices.SortFunc(out, func(a, b ProfileRow) int { return cmp.Or(cmp.Compare(b.Ms, a.Ms), cmp.Compare(a.Name, b.Name)) })
		return out
	}
	p.ByOp, p.ByNode = rows(ops), rows(nodes)
	return p, nil
}

// profileNodes is how many nodes the text report lists.
const profileNodes = 15

// writeProfile renders p as two tables: by operator, and the nodes that
// take the most time.
func writeProfile(w io.Writer, p *Profile) {
	fmt.Fprintf(w, "\nprofile of %s, threads %d, batch %d (%d runs; %.3f ms of steps per run):\n", p.Engine, p.Threads, p.Batch, p.Runs, p.TotalMs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  operator\tsteps\tms/run\tshare\t\n")
	for _, r := range p.ByOp {
		fmt.Fprintf(tw, "  %s\t%d\t%.3f\t%.1f%%\t\n", r.Name, r.Steps, r.Ms, 100*r.Share)
	}
	tw.Flush()
	fmt.Fprintf(w, "  slowest nodes:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range p.ByNode[:min(profileNodes, len(p.ByNode))] {
		fmt.Fprintf(tw, "  %s\t%s\t%.3f\t%.1f%%\t\n", r.Name, r.Op, r.Ms, 100*r.Share)
	}
	tw.Flush()
}

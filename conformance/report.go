package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Status is the outcome of one case.
type Status string

// The outcomes of a case. A case is skipped only when it cannot be
// expressed to the engine (test data of a type inferd's tensors do not
// hold, or non-tensor values on an engine without engine.ValueSession); anything
// the engine gets wrong or refuses is a failure.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is the outcome of one case.
type Result struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Reason says why the case failed or was skipped.
	Reason string `json:"reason,omitempty"`
	// Ops are the operators the model uses.
	Ops     []string `json:"ops"`
	Seconds float64  `json:"seconds"`
}

// Report is the outcome of a run.
type Report struct {
	Engine  string   `json:"engine"`
	Results []Result `json:"results"`
}

// Tally counts cases by outcome.
type Tally struct {
	Name    string `json:"name"`
	Cases   int    `json:"cases"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"`
}

func (t *Tally) add(s Status) {
	t.Cases++
	switch s {
	case Pass:
		t.Passed++
	case Fail:
		t.Failed++
	case Skip:
		t.Skipped++
	}
}

// Total counts all cases.
func (r *Report) Total() Tally {
	t := Tally{Name: "total"}
	for _, res := range r.Results {
		t.add(res.Status)
	}
	return t
}

// Summary is the closing line: "N passed, M failed, K skipped".
func (r *Report) Summary() string {
	t := r.Total()
	return fmt.Sprintf("%d passed, %d failed, %d skipped", t.Passed, t.Failed, t.Skipped)
}

// Suites counts the cases of each suite directory, sorted by name.
func (r *Report) Suites() []Tally {
	return r.tally(func(res Result) []string { return []string{Case{Name: res.Name}.Suite()} })
}

// Operators counts, per operator, the cases whose model uses it, sorted by
// name. A case counts once for each of its operators.
func (r *Report) Operators() []Tally {
	return r.tally(func(res Result) []string { return res.Ops })
}

func (r *Report) tally(keys func(Result) []string) []Tally {
	m := map[string]*Tally{}
	for _, res := range r.Results {
		for _, k := range keys(res) {
			t, ok := m[k]
			if !ok {
				t = &Tally{Name: k}
				m[k] = t
			}
			t.add(res.Status)
		}
	}
	out := make([]Tally, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// WriteText writes one line per failing or skipped case with its reason,
// the per-suite and per-operator tables, the outcome of the expected-pass
// check when chk is not nil, and the summary line last.
func (r *Report) WriteText(w io.Writer, chk *Check) error {
	bw := &errWriter{w: w}
	for _, res := range r.Results {
		if res.Status != Pass {
			fmt.Fprintf(bw, "%s %s: %s\n", strings.ToUpper(string(res.Status)), res.Name, oneLine(res.Reason, 400))
		}
	}
	fmt.Fprintln(bw)
	writeTable(bw, "suite", r.Suites())
	fmt.Fprintln(bw)
	writeTable(bw, "operator", r.Operators())
	if chk != nil {
		fmt.Fprintln(bw)
		chk.writeText(bw)
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, r.Summary())
	return bw.err
}

func writeTable(w io.Writer, title string, rows []Tally) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tcases\tpassed\tfailed\tskipped\t\n", title)
	for _, t := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", t.Name, t.Cases, t.Passed, t.Failed, t.Skipped)
	}
	tw.Flush()
}

// WriteJSON writes the report, its tallies and the check (when not nil) as
// one JSON document.
func (r *Report) WriteJSON(w io.Writer, chk *Check) error {
	t := r.Total()
	doc := struct {
		Engine    string   `json:"engine"`
		Passed    int      `json:"passed"`
		Failed    int      `json:"failed"`
		Skipped   int      `json:"skipped"`
		Suites    []Tally  `json:"suites"`
		Operators []Tally  `json:"operators"`
		Results   []Result `json:"results"`
		Check     *Check   `json:"expected,omitempty"`
	}{r.Engine, t.Passed, t.Failed, t.Skipped, r.Suites(), r.Operators(), r.Results, chk}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// oneLine flattens a reason to one line of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return len(p), nil
	}
	_, e.err = e.w.Write(p)
	return len(p), nil
}

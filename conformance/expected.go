package conformance

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// ReadExpected reads an expected-pass list: one case name per line; blank
// lines and lines starting with # are ignored.
func ReadExpected(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("expected-pass list: %w", err)
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if strings.ContainsAny(s, " \t") || !strings.Contains(s, "/") {
			return nil, fmt.Errorf("%s:%d: %q is not a case name like node/test_abs", path, line, s)
		}
		names[s] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("expected-pass list %s: %w", path, err)
	}
	return names, nil
}

// WriteExpected writes names, sorted, as an expected-pass list with a
// header comment.
func WriteExpected(path, engineName string, names map[string]bool) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Cases of the ONNX backend test suite (libonnx-testdata) that the %s engine\n", engineName)
	fmt.Fprintf(&b, "# passes. `inferd conformance --expected` fails when one of them does not;\n")
	fmt.Fprintf(&b, "# --update-expected rewrites this file from a run.\n")
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// Check compares a report with an expected-pass list.
type Check struct {
	// Regressions are the listed cases that ran and did not pass.
	Regressions []Result `json:"regressions"`
	// NewPasses are the cases that passed but are not listed.
	NewPasses []string `json:"new_passes"`
}

// OK reports whether no listed case regressed.
func (c *Check) OK() bool { return len(c.Regressions) == 0 }

// Check compares r with the expected passes. Listed cases that did not run
// (filtered out, or absent from this version of the suite) are ignored.
func (r *Report) Check(expected map[string]bool) *Check {
	c := &Check{Regressions: []Result{}, NewPasses: []string{}}
	for _, res := range r.Results {
		switch {
		case expected[res.Name] && res.Status != Pass:
			c.Regressions = append(c.Regressions, res)
		case !expected[res.Name] && res.Status == Pass:
			c.NewPasses = append(c.NewPasses, res.Name)
		}
	}
	return c
}

// Updated returns the expected list after this run: the cases that ran are
// listed if they passed, the others keep their entry.
func (r *Report) Updated(expected map[string]bool) map[string]bool {
	out := make(map[string]bool, len(expected))
	for n := range expected {
		out[n] = true
	}
	for _, res := range r.Results {
		if res.Status == Pass {
			out[res.Name] = true
		} else {
			delete(out, res.Name)
		}
	}
	return out
}

func (c *Check) writeText(w io.Writer) {
	for _, res := range c.Regressions {
		fmt.Fprintf(w, "REGRESSION %s: %s\n", res.Name, oneLine(res.Reason, 400))
	}
	fmt.Fprintf(w, "expected-pass list: %d regressions, %d new passes not listed", len(c.Regressions), len(c.NewPasses))
	if len(c.NewPasses) > 0 {
		fmt.Fprintf(w, " (add them with --update-expected): %s", strings.Join(c.NewPasses, " "))
	}
	fmt.Fprintln(w)
}

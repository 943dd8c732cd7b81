package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
)

func evaluationDir() string { return filepath.Join(testutil.ExamplesDir(), "..", "evaluation") }

// copyLoans copies the loans example model into a fresh repository.
func copyLoans(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	src := filepath.Join(evaluationDir(), "loans")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		dst := filepath.Join(repo, "loans", rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

func TestEvalDigitsReports(t *testing.T) {
	dir := t.TempDir()
	html, js := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.json")
	out, err := run(t, "eval", "digits", "--repository", testutil.ExamplesDir(), "--data", filepath.Join(evaluationDir(), "digits-test.csv"),
		"--report", html, "--report", js, "--bootstrap", "20")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "| accuracy | 0.9889 |") {
		t.Errorf("summary:\n%s", out)
	}
	var rep struct {
		Rows    int
		Metrics map[string]float64
	}
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &rep); err != nil || rep.Rows != 360 || rep.Metrics["f1_macro"] < 0.98 {
		t.Fatalf("json report (%v): %.200s", err, b)
	}
	h, _ := os.ReadFile(html)
	for _, id := range []string{`id="confusion"`, `id="per-class"`, `id="roc"`, `id="pr"`, `id="reliability"`} {
		if !strings.Contains(string(h), id) {
			t.Errorf("the HTML report has no %s plot", id)
		}
	}
	if strings.Contains(string(h), "<script") || strings.Contains(string(h), "http://") || strings.Contains(string(h), "https://") {
		t.Error("the HTML report is not self-contained")
	}
}

// The loans example: version 2 (the planted bias) and version 3 (worse
// than production) are refused, the refusals recorded; a gate they pass
// moves the label.
func TestPromoteLoans(t *testing.T) {
	repo := copyLoans(t)
	s := servertest.Start(t, repo)
	data := filepath.Join(evaluationDir(), "loans-test.csv")
	gate := filepath.Join(evaluationDir(), "loans-gates.yaml")
	promote := func(version, gate string) (string, error) {
		return run(t, "promote", "loans", version, "--to", "production", "--data", data, "--group", "sex", "--slice", "region", "--gate", gate,
			"--url", s.URL, "--repository", repo, "--actor", "ci", "--bootstrap", "-1")
	}
	// The same test set as v2 request records, against the server.
	out, err := run(t, "eval", "loans/2", "--url", s.URL, "--data", filepath.Join(evaluationDir(), "loans-requests"), "--group", "sex",
		"--slice", "region", "--gate", gate, "--bootstrap", "-1")
	if err == nil || !strings.Contains(err.Error(), "fairness.demographic_parity_ratio >= 0.8") || !strings.Contains(out, "1500 rows of") {
		t.Fatalf("biased version from v2 requests: %v\n%s", err, out)
	}
	out, err = promote("2", gate)
	if err == nil || !strings.Contains(err.Error(), "fairness.demographic_parity_ratio >= 0.8") {
		t.Fatalf("biased version: %v\n%s", err, out)
	}
	out, err = promote("3", gate)
	if err == nil || !strings.Contains(err.Error(), "changes.accuracy") || strings.Contains(err.Error(), "fairness.") {
		t.Fatalf("worse version: %v\n%s", err, out)
	}
	lenient := filepath.Join(t.TempDir(), "g.yaml")
	os.WriteFile(lenient, []byte("metrics: {accuracy: {min: 0.6}}\n"), 0o644)
	if out, err := promote("3", lenient); err != nil || !strings.Contains(out, "label production moved from version 1 to 3") {
		t.Fatalf("promotion: %v\n%s", err, out)
	}
	out, err = run(t, "models", "--url", s.URL, "--json")
	if err != nil || !strings.Contains(out, `"production": 3`) {
		t.Fatalf("label not moved: %v\n%s", err, out)
	}
	out, err = run(t, "promotions", "loans", "--repository", repo)
	if err != nil {
		t.Fatal(err)
	}
	rows := fields(out)
	if len(rows) != 4 || rows[1][5] != "refused" || rows[2][5] != "refused" || rows[3][5] != "promoted" || rows[3][1] != "ci" || rows[3][3] != "1" || rows[3][4] != "3" {
		t.Fatalf("record:\n%s", out)
	}
}

func TestEvalGateExitAndErrors(t *testing.T) {
	data := filepath.Join(evaluationDir(), "loans-test.csv")
	repo := copyLoans(t)
	out, err := run(t, "eval", "loans/2", "--repository", repo, "--data", data, "--group", "sex", "--slice", "region", "--gate", filepath.Join(evaluationDir(), "loans-gates.yaml"), "--json", "--bootstrap", "-1")
	if err == nil || !strings.Contains(err.Error(), "the gate failed") {
		t.Fatalf("gate: %v", err)
	}
	var rep struct {
		Gate struct {
			Passed   bool
			Failures []struct{ Check string }
		}
		Fairness struct{ Metrics map[string]float64 }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Gate.Passed || len(rep.Gate.Failures) == 0 || rep.Fairness.Metrics["demographic_parity_ratio"] > 0.5 {
		t.Fatalf("json (%v):\n%.300s", err, out)
	}
	for _, args := range [][]string{
		{"eval", "loans", "--data", data},
		{"eval", "loans", "--repository", repo},
		{"eval", "loans", "--repository", repo, "--data", data, "--report", "x.pdf"},
		{"eval", "loans", "--repository", repo, "--data", data, "--group", "nope"},
	} {
		if out, err := run(t, args...); err == nil {
			t.Errorf("%v: no error\n%s", args, out)
		}
	}
}

package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	checkPromotionStatus(t, s.URL)
}

// The server's model status shows the promotion record: production was
// version 1 until the promotion, version 3 since; the refusals with their
// failed checks; version 3's status says since when it holds the label.
func checkPromotionStatus(t *testing.T, url string) {
	t.Helper()
	var model struct {
		Promotions struct {
			Labels map[string][]struct {
				Version      string
				Since, Until *time.Time
				Actor        string
			}
			Recent []struct {
				To       string
				Promoted bool
				Failed   []string
			}
			Entries int
		}
	}
	getJSON(t, url+"/models/loans", &model)
	prod, recent := model.Promotions.Labels["production"], model.Promotions.Recent
	if len(prod) != 2 || prod[0].Version != "1" || prod[0].Since != nil || prod[0].Until == nil ||
		prod[1].Version != "3" || prod[1].Since == nil || !prod[1].Since.Equal(*prod[0].Until) || prod[1].Until != nil || prod[1].Actor != "ci" {
		t.Fatalf("production's history: %+v", prod)
	}
	if model.Promotions.Entries != 3 || len(recent) != 3 || recent[0].Promoted || recent[0].To != "2" ||
		!slices.Contains(recent[0].Failed, "fairness.demographic_parity_ratio >= 0.8") || !recent[2].Promoted {
		t.Fatalf("recent entries: %+v", model.Promotions)
	}
	var version struct {
		LabelsHeld map[string][]struct{ Version string } `json:"labels_held"`
	}
	getJSON(t, url+"/models/loans/3", &version)
	if len(version.LabelsHeld["production"]) != 1 {
		t.Fatalf("version 3 holds %+v", version.LabelsHeld)
	}
	out, err := run(t, "models", "--url", url)
	if err != nil {
		t.Fatal(err)
	}
	var history [][]string
	for _, row := range fields(out) {
		if len(row) == 7 && row[1] == "production" {
			history = append(history, row)
		}
	}
	if len(history) != 2 || history[0][2] != "1" || history[0][3] != "-" || history[1][4] != "now" || history[1][2] != "3" || history[1][5] != "ci" {
		t.Fatalf("inferd models:\n%s", out)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
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

// A numeric column sliced into buckets: every row lands in one range.
func TestEvalBuckets(t *testing.T) {
	data := filepath.Join(evaluationDir(), "loans-test.csv")
	repo := copyLoans(t)
	out, err := run(t, "eval", "loans/1", "--repository", repo, "--data", data, "--features", "income,debt,years,sex_f",
		"--slice", "income", "--buckets", "income=40:80", "--json", "--bootstrap", "-1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rep struct {
		Slices map[string]map[string]map[string]float64
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	rows := 0.0
	for _, name := range []string{"<40", "[40, 80)", ">=80"} {
		rows += rep.Slices["income"][name]["rows"]
	}
	if len(rep.Slices["income"]) != 3 || rows != 1500 {
		t.Fatalf("income buckets: %v", rep.Slices["income"])
	}
	if out, err := run(t, "eval", "loans/1", "--repository", repo, "--data", data, "--features", "income,debt,years,sex_f",
		"--slice", "region", "--buckets", "region=1:2"); err == nil || !strings.Contains(err.Error(), `loans-test.csv line 2: bad dataset: slice column "region" has buckets, but "north" is not a number`) {
		t.Fatalf("text in a bucketed column: %v\n%s", err, out)
	}
}

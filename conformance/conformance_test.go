package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/inferd/inferd/conformance"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/native"
)

// The miniature suite of testdata/suite (written by testdata/gen.py).
var miniSuite = filepath.Join("testdata", "suite")

// tensorOnly is an engine whose sessions lack RunValues, as an engine
// implementing only engine.Session would.
type tensorOnly struct{ engine.Engine }

type plainSession struct{ engine.Session }

func (e tensorOnly) Load(ctx context.Context, m engine.ModelFile, opts engine.Options) (engine.Session, error) {
	s, err := e.Engine.Load(ctx, m, opts)
	if err != nil {
		return nil, err
	}
	return plainSession{s}, nil
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		name, root, run string
		want            []string
	}{
		{"suite root", miniSuite, "", []string{"node/test_add", "node/test_add_wrong_output", "node/test_no_data", "node/test_unsupported", "simple/test_sequence"}},
		{"one directory", filepath.Join(miniSuite, "simple"), "", []string{"simple/test_sequence"}},
		{"one case", filepath.Join(miniSuite, "node", "test_add"), "", []string{"node/test_add"}},
		{"filtered", miniSuite, "add", []string{"node/test_add", "node/test_add_wrong_output"}},
		{"filter matching nothing", miniSuite, "nothing", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var re *regexp.Regexp
			if tc.run != "" {
				re = regexp.MustCompile(tc.run)
			}
			cases, err := conformance.Discover(tc.root, re)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range cases {
				names = append(names, c.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("cases = %v, want %v", names, tc.want)
			}
		})
	}
	for _, root := range []string{filepath.Join(miniSuite, "missing"), t.TempDir(), filepath.Join(miniSuite, "node", "test_add", "model.onnx")} {
		if _, err := conformance.Discover(root, nil); !errors.Is(err, conformance.ErrNoSuite) {
			t.Errorf("Discover(%s) = %v, want ErrNoSuite", root, err)
		}
	}
}

func run(t *testing.T, e engine.Engine) map[string]conformance.Result {
	t.Helper()
	cases, err := conformance.Discover(miniSuite, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := conformance.Run(context.Background(), e, cases, conformance.Options{Jobs: 2})
	if len(rep.Results) != len(cases) {
		t.Fatalf("%d results for %d cases", len(rep.Results), len(cases))
	}
	byName := map[string]conformance.Result{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	return byName
}

func TestRun(t *testing.T) {
	tests := []struct {
		engine engine.Engine
		name   string
		status conformance.Status
		reason string
	}{
		{native.Engine{}, "node/test_add", conformance.Pass, ""},
		{native.Engine{}, "node/test_add_wrong_output", conformance.Fail, `output "z": element 5 (index [1 2]): got 5.5, want 5.51`},
		{native.Engine{}, "node/test_unsupported", conformance.Fail, "load: unsupported operators: NotAnOperator"},
		{native.Engine{}, "node/test_no_data", conformance.Skip, "no test_data_set"},
		{native.Engine{}, "simple/test_sequence", conformance.Pass, ""},
		{tensorOnly{native.Engine{}}, "simple/test_sequence", conformance.Skip, "do not implement RunValues"},
		{tensorOnly{native.Engine{}}, "node/test_add", conformance.Pass, ""},
	}
	results := map[bool]map[string]conformance.Result{}
	for _, tc := range tests {
		_, wrapped := tc.engine.(tensorOnly)
		t.Run(tc.name, func(t *testing.T) {
			if results[wrapped] == nil {
				results[wrapped] = run(t, tc.engine)
			}
			r := results[wrapped][tc.name]
			if r.Status != tc.status || !strings.Contains(r.Reason, tc.reason) {
				t.Fatalf("got %s %q, want %s mentioning %q", r.Status, r.Reason, tc.status, tc.reason)
			}
			if tc.status == conformance.Pass && len(r.Ops) == 0 {
				t.Errorf("passing case lists no operators")
			}
		})
	}
}

func TestReport(t *testing.T) {
	cases, err := conformance.Discover(miniSuite, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := conformance.Run(context.Background(), native.Engine{}, cases, conformance.Options{})
	expected := map[string]bool{"node/test_add": true, "node/test_unsupported": true, "node/not_in_this_suite": true}
	chk := rep.Check(expected)
	if chk.OK() || len(chk.Regressions) != 1 || chk.Regressions[0].Name != "node/test_unsupported" {
		t.Errorf("regressions = %+v, want node/test_unsupported", chk.Regressions)
	}
	if strings.Join(chk.NewPasses, ",") != "simple/test_sequence" {
		t.Errorf("new passes = %v", chk.NewPasses)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text, chk); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{
		"FAIL node/test_add_wrong_output: test_data_set_0: output \"z\"",
		"SKIP node/test_no_data: no test_data_set directory",
		"REGRESSION node/test_unsupported: load: unsupported operators",
		"NotAnOperator", "simple", "operator",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "\n2 passed, 2 failed, 1 skipped\n") {
		t.Errorf("report does not end with the summary line:\n%s", out)
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js, chk); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Passed, Failed, Skipped int
		Suites                  []conformance.Tally
		Results                 []conformance.Result
		Expected                *conformance.Check
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Passed != 2 || doc.Failed != 2 || doc.Skipped != 1 || len(doc.Results) != 5 || len(doc.Suites) != 2 || doc.Expected == nil {
		t.Errorf("JSON report = %+v", doc)
	}
	updated := rep.Updated(expected)
	for name, want := range map[string]bool{"node/test_add": true, "simple/test_sequence": true, "node/test_unsupported": false, "node/not_in_this_suite": true} {
		if updated[name] != want {
			t.Errorf("updated list has %s = %v, want %v", name, updated[name], want)
		}
	}
}

func TestExpectedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.pass")
	names := map[string]bool{"node/b": true, "node/a": true}
	if err := conformance.WriteExpected(path, "native", names); err != nil {
		t.Fatal(err)
	}
	got, err := conformance.ReadExpected(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["node/a"] || !got["node/b"] {
		t.Fatalf("read back %v", got)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), "node/a\nnode/b\n") {
		t.Errorf("list is not sorted:\n%s", raw)
	}
	bad := filepath.Join(dir, "bad.pass")
	os.WriteFile(bad, []byte("# comment\nnode/ok\nnot a name\n"), 0o644)
	if _, err := conformance.ReadExpected(bad); err == nil || !strings.Contains(err.Error(), "bad.pass:3") {
		t.Errorf("bad list error = %v, want one naming line 3", err)
	}
	if _, err := conformance.ReadExpected(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing list read without error")
	}
}

// TestBackendSuite runs the native engine over the installed ONNX backend
// test suite and fails when a case of testdata/native.pass does not pass.
func TestBackendSuite(t *testing.T) {
	if _, err := os.Stat(filepath.Join(conformance.DefaultSuite, "node")); err != nil {
		t.Skipf("ONNX backend test suite not installed (%v): apt-get install libonnx-testdata", err)
	}
	expected, err := conformance.ReadExpected(filepath.Join("testdata", "native.pass"))
	if err != nil {
		t.Fatal(err)
	}
	cases, err := conformance.Discover(conformance.DefaultSuite, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := conformance.Run(context.Background(), native.Engine{}, cases, conformance.Options{})
	chk := rep.Check(expected)
	for _, r := range chk.Regressions {
		t.Errorf("%s no longer passes: %s", r.Name, r.Reason)
	}
	t.Logf("%s; %d new passes not in testdata/native.pass", rep.Summary(), len(chk.NewPasses))
}

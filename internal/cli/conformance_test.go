package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/cli"
)

// conformanceCLI runs `inferd conformance` with args.
func conformanceCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := cli.NewRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append([]string{"conformance"}, args...))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestConformanceCommand(t *testing.T) {
	suite := filepath.Join("..", "..", "conformance", "testdata", "suite")
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pass")
	os.WriteFile(good, []byte("node/test_add\n"), 0o644)
	regressed := filepath.Join(dir, "regressed.pass")
	os.WriteFile(regressed, []byte("node/test_add\nnode/test_unsupported\n"), 0o644)
	updated := filepath.Join(dir, "updated.pass")

	tests := []struct {
		name    string
		args    []string
		wantOut []string
		wantErr string
	}{
		{name: "report", args: []string{"--suite", suite},
			wantOut: []string{"FAIL node/test_unsupported: load: unsupported operators: NotAnOperator", "operator", "2 passed, 2 failed, 1 skipped\n"}},
		{name: "filter", args: []string{"--suite", suite, "--run", "test_add$"}, wantOut: []string{"1 passed, 0 failed, 0 skipped"}},
		{name: "json", args: []string{"--suite", suite, "--json", "--run", "sequence"}, wantOut: []string{`"passed": 1`, `"name": "simple/test_sequence"`}},
		{name: "expected list holds", args: []string{"--suite", suite, "--expected", good}, wantOut: []string{"0 regressions, 1 new passes"}},
		{name: "regression", args: []string{"--suite", suite, "--expected", regressed},
			wantOut: []string{"REGRESSION node/test_unsupported"}, wantErr: "1 cases of"},
		{name: "update", args: []string{"--suite", suite, "--expected", updated, "--update-expected"}, wantOut: []string{"2 passed"}},
		{name: "update needs a list", args: []string{"--suite", suite, "--update-expected"}, wantErr: "--update-expected needs --expected"},
		{name: "unknown engine", args: []string{"--suite", suite, "--engine", "nope"}, wantErr: `unknown engine "nope"`},
		{name: "bad filter", args: []string{"--suite", suite, "--run", "("}, wantErr: "--run"},
		{name: "no suite", args: []string{"--suite", dir}, wantErr: "no ONNX backend test cases found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := conformanceCLI(t, tt.args...)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q\n%s", err, tt.wantErr, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	raw, err := os.ReadFile(updated)
	if err != nil || !strings.Contains(string(raw), "node/test_add\nsimple/test_sequence\n") {
		t.Errorf("updated list: %v\n%s", err, raw)
	}
}

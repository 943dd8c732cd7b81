package target_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/evaluate/target"
	"github.com/inferd/inferd/server/servertest"
)

// The v2 request datasets give the same figures as the tables they were
// written from, in process and through a server on REST and gRPC: the
// digits CNN's 356 of 360, and the loans model's fairness by sex.
func TestV2RequestsMatchTables(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name, repo, model string
		table, requests   dataset.Spec
		metrics           []string
	}{
		{"digits", repo, "digits", dataset.Spec{Path: digits}, dataset.Spec{Path: "../../examples/evaluation/digits-test.v2.jsonl"},
			[]string{"accuracy", "f1_macro", "roc_auc", "log_loss"}},
		{"loans", "../../examples/evaluation", "loans",
			dataset.Spec{Path: "../../examples/evaluation/loans-test.csv", Features: []string{"income", "debt", "years", "sex_f"}, Groups: []string{"sex"}, Slices: []string{"region"}},
			dataset.Spec{Path: "../../examples/evaluation/loans-requests", Groups: []string{"sex"}, Slices: []string{"region"}},
			[]string{"accuracy", "roc_auc", "fairness.demographic_parity_ratio", "fairness.equalized_odds_difference", "slice.region=north.accuracy"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := target.OpenLocal(ctx, tt.repo, tt.model, "1", "")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			want := figures(run(t, l, tt.table))
			got := figures(run(t, l, tt.requests))
			for _, m := range tt.metrics {
				if _, ok := want[m]; !ok || got[m] != want[m] {
					t.Errorf("in process: %s = %v, the table gives %v", m, got[m], want[m])
				}
			}
			srv := servertest.Start(t, copyDir(t, tt.repo))
			for _, url := range []string{srv.URL, "grpc://" + srv.GRPCAddr} {
				c, err := client.New(url)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				r, err := target.OpenRemote(ctx, c, tt.model, "1", "", firstRow(t, tt.requests))
				if err != nil {
					t.Fatal(err)
				}
				remote := figures(run(t, r, tt.requests))
				for _, m := range tt.metrics {
					// Scores travel as float32 text: close, not bit for bit.
					if d := math.Abs(remote[m] - want[m]); d > 1e-6 {
						t.Errorf("%s: %s = %v, in process %v", url[:4], m, remote[m], want[m])
					}
				}
			}
		})
	}
}

// figures flattens the headline, fairness and slice metrics of a report.
func figures(rep *evaluate.Report) map[string]float64 {
	out := map[string]float64{}
	for k, v := range rep.Metrics {
		out[k] = v
	}
	if rep.Fairness != nil {
		for k, v := range rep.Fairness.Metrics {
			out["fairness."+k] = v
		}
	}
	for col, vals := range rep.Slices {
		for value, ms := range vals {
			for k, v := range ms {
				out["slice."+col+"="+value+"."+k] = v
			}
		}
	}
	return out
}

// A request that the model refuses names the record and the samples.
func TestV2RequestRefusedNamesRecord(t *testing.T) {
	dir := t.TempDir()
	body := `{"request":{"inputs":[{"name":"input","shape":[2,3],"datatype":"FP32","data":[1,2,3,4,5,6]}]},"expected":[{"name":"label","shape":[2],"datatype":"INT64","data":[0,1]}]}` + "\n"
	path := dir + "/bad.v2.jsonl"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := target.OpenLocal(context.Background(), "../../examples/evaluation", "loans", "1", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = evaluate.Run(context.Background(), l, evaluate.Options{Data: dataset.Spec{Path: path}, Bootstrap: -1})
	if err == nil || !strings.Contains(err.Error(), "bad.v2.jsonl line 1 sample 1 to ") || !strings.Contains(err.Error(), "input") {
		t.Fatalf("error %v", err)
	}
}

// copyDir copies a repository for a server, which may write into it.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

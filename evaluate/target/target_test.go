package target_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/evaluate/target"
	"github.com/inferd/inferd/server/servertest"
)

const (
	repo   = "../../examples/models"
	digits = "../../examples/evaluation/digits-test.csv"
)

func run(t *testing.T, tg evaluate.Target, spec dataset.Spec) *evaluate.Report {
	t.Helper()
	rep, err := evaluate.Run(context.Background(), tg, evaluate.Options{Data: spec, Bootstrap: 50, Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func firstRow(t *testing.T, spec dataset.Spec) *dataset.Row {
	t.Helper()
	row, err := dataset.First(spec)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

// The digits CNN gets 356 of its 360 held-out images right
// (examples/digits/README.md), in process and through a server on every
// protocol.
func TestDigitsLocalAndRemoteAgree(t *testing.T) {
	ctx := context.Background()
	l, err := target.OpenLocal(ctx, repo, "digits", "production", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	local := run(t, l, dataset.Spec{Path: digits})
	if got := local.Metrics["accuracy"] * 360; math.Abs(got-356) > 1e-9 {
		t.Fatalf("accuracy×360 = %v, want 356", got)
	}
	if local.Version != "1" || local.Rows != 360 || len(local.ConfusionMatrix) != 10 {
		t.Fatalf("version %q rows %d", local.Version, local.Rows)
	}
	srv := servertest.Start(t, repo)
	first := firstRow(t, dataset.Spec{Path: digits})
	for _, url := range []string{srv.URL, "grpc://" + srv.GRPCAddr} {
		t.Run(url[:4], func(t *testing.T) {
			c, err := client.New(url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r, err := target.OpenRemote(ctx, c, "digits", "", "", first)
			if err != nil {
				t.Fatal(err)
			}
			remote := run(t, r, dataset.Spec{Path: digits})
			for _, name := range []string{"accuracy", "f1_macro", "roc_auc", "log_loss", "top_k_accuracy"} {
				// Scores travel as float32 text: the figures agree closely, not bit for bit.
				if d := math.Abs(remote.Metrics[name] - local.Metrics[name]); d > 1e-6 {
					t.Errorf("%s: remote %v, local %v", name, remote.Metrics[name], local.Metrics[name])
				}
			}
			if remote.Version != "1" {
				t.Errorf("remote version %q", remote.Version)
			}
		})
	}
}

func TestImageFolder(t *testing.T) {
	dir := t.TempDir()
	files, _ := filepath.Glob("../../examples/digits/images/*.png")
	for _, f := range files {
		class, _, _ := strings.Cut(filepath.Base(f), "_")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		if err := os.WriteFile(filepath.Join(dir, class, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := target.OpenLocal(context.Background(), repo, "digits-mlp", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep := run(t, l, dataset.Spec{Path: dir})
	if rep.Rows != 50 || rep.Metrics["accuracy"] != 1 {
		t.Fatalf("rows %d accuracy %v: the README says every sample image is classified correctly", rep.Rows, rep.Metrics["accuracy"])
	}
	// A truncated PNG with a valid header fails in decoding, naming the file.
	b, _ := os.ReadFile(files[0])
	bad := filepath.Join(dir, "3", "truncated.png")
	os.WriteFile(bad, b[:len(b)/2], 0o644)
	_, err = evaluate.Run(context.Background(), l, evaluate.Options{Data: dataset.Spec{Path: dir}})
	if err == nil || !strings.Contains(err.Error(), "truncated.png") {
		t.Fatalf("truncated image: %v", err)
	}
}

func TestBadRowsNameFileAndLine(t *testing.T) {
	l := openDigits(t)
	dir := t.TempDir()
	row := strings.Repeat("0,", 64)
	good := strings.Repeat(row+"3\n", 40)
	for _, tt := range []struct{ name, body, want string }{
		{"unknown class", "x\n" + row + "11\n", `line 2: bad dataset: unknown class "11"`},
		// Rows are read ahead: the first bad row still decides.
		{"first bad row", "x\n" + row + "11\n" + good + "1,2\n", `line 2: bad dataset: unknown class "11"`},
		{"ragged after two batches", "x\n" + good + good + "1,2\n", "line 82: bad dataset:"},
		// Recorded after the model's last batch, by the target's goroutine.
		{"unknown class in the last row", "x\n" + good + good + good + row + "11\n", `line 122: bad dataset: unknown class "11"`},
		{"wrong width", "a,b,label\n1,2,3\n", "line 2: bad dataset: 2 feature values, but input \"input\" takes 64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if strings.HasPrefix(body, "x\n") {
				hdr := make([]string, 64)
				for i := range hdr {
					hdr[i] = "p" + string(rune('a'+i%26)) + string(rune('a'+i/26))
				}
				body = strings.Join(hdr, ",") + ",label\n" + strings.TrimPrefix(body, "x\n")
			}
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".csv")
			os.WriteFile(p, []byte(body), 0o644)
			_, err := evaluate.Run(context.Background(), l, evaluate.Options{Data: dataset.Spec{Path: p}})
			if err == nil || !errors.Is(err, dataset.ErrData) || !strings.Contains(err.Error(), p+" "+tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// Every row is recorded once, whatever the dataset's size against the
// batch and the chunks of batches the side goroutine hands over (the first
// chunks are 1, 2, 4… batches; the last results are recorded after the
// model's last batch).
func TestRunRecordsEveryRow(t *testing.T) {
	l := openDigits(t)
	src, err := os.ReadFile(digits)
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := strings.Cut(strings.TrimSuffix(string(src), "\n"), "\n")
	lines := strings.Split(strings.Repeat(body+"\n", 3), "\n")
	for _, n := range []int{1, 32, 33, 1000} {
		path := filepath.Join(t.TempDir(), "digits.csv")
		if err := os.WriteFile(path, []byte(header+"\n"+strings.Join(lines[:n], "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 7, 32} {
			progressed := 0
			rep, err := evaluate.Run(context.Background(), l, evaluate.Options{Data: dataset.Spec{Path: path},
				Batch: batch, Bootstrap: -1, Progress: func(rows int) { progressed = rows }})
			if err != nil {
				t.Fatalf("%d rows, batch %d: %v", n, batch, err)
			}
			counted := 0.0
			for _, r := range rep.ConfusionMatrix {
				for _, v := range r {
					counted += v
				}
			}
			if wantBatches := (n + batch - 1) / batch; rep.Rows != n || int(counted) != n || progressed != n || rep.Latency.Batches != wantBatches {
				t.Errorf("%d rows, batch %d: %d rows, %v in the confusion matrix, progress %d, %d batches; want %d batches",
					n, batch, rep.Rows, counted, progressed, rep.Latency.Batches, wantBatches)
			}
		}
	}
}

// A batch too large to allocate is refused before anything is read or
// run, naming the limit.
func TestRunRefusesHugeBatch(t *testing.T) {
	l := openDigits(t)
	_, err := evaluate.Run(context.Background(), l, evaluate.Options{Data: dataset.Spec{Path: digits}, Batch: 100_000_000})
	if err == nil || !strings.Contains(err.Error(), "a batch of 100000000 rows is over the limit of 65536 rows per batch") {
		t.Fatalf("Run at batch 100000000: %v", err)
	}
}

func TestOpenLocalErrors(t *testing.T) {
	for _, tt := range []struct{ model, ref, want string }{
		{"nope", "", `model "nope"`},
		{"digits", "7", "no version 7"},
		{"digits", "canary", `no version or label "canary"`},
	} {
		if _, err := target.OpenLocal(context.Background(), repo, tt.model, tt.ref, ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s/%s: %v, want %q", tt.model, tt.ref, err, tt.want)
		}
	}
}

// The houses regression model: MAE, RMSE, R² and MAPE as scikit-learn
// computes them on the model's float32 predictions
// (examples/evaluation/houses-reference.json), in process and remotely.
func TestHousesRegression(t *testing.T) {
	b, err := os.ReadFile("../../examples/evaluation/houses-reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]float64
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	spec := dataset.Spec{Path: "../../examples/evaluation/houses-test.csv", Slices: []string{"region"}}
	l, err := target.OpenLocal(ctx, "../../examples/evaluation", "houses", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv := servertest.Start(t, "../../examples/evaluation")
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := target.OpenRemote(ctx, c, "houses", "1", "", firstRow(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	for name, tg := range map[string]evaluate.Target{"local": l, "remote": r} {
		rep := run(t, tg, spec)
		if rep.Task != "regression" || rep.Rows != 500 || len(rep.Slices["region"]) != 2 {
			t.Fatalf("%s: task %s rows %d slices %v", name, rep.Task, rep.Rows, rep.Slices)
		}
		for k, v := range want {
			// The engine's float32 sums may differ from numpy's in the last bits.
			if got := rep.Metrics[k]; math.Abs(got-v) > 1e-5*math.Abs(v) {
				t.Errorf("%s: %s = %v, scikit-learn %v", name, k, got, v)
			}
		}
		if iv := rep.Intervals["mae"]; !(iv.Low < want["mae"] && want["mae"] < iv.High) {
			t.Errorf("%s: mae interval %v", name, iv)
		}
	}
}

// A run stops within a few chunks of batches after its context is
// cancelled, with the context's error, and leaves no goroutine reading
// (the race detector would see it touch the closed dataset).
func TestRunStopsWhenCancelled(t *testing.T) {
	l := openDigits(t)
	src, err := os.ReadFile(digits)
	if err != nil {
		t.Fatal(err)
	}
	header, rows, _ := strings.Cut(string(src), "\n")
	path := filepath.Join(t.TempDir(), "digits.csv")
	if err := os.WriteFile(path, []byte(header+"\n"+strings.Repeat(rows, 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progressed := 0
	_, err = evaluate.Run(ctx, l, evaluate.Options{Data: dataset.Spec{Path: path}, Batch: 8, Progress: func(rows int) {
		progressed = rows
		cancel()
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	// Recording stops at the first batch after the cancel, and the model's
	// goroutine checks between batches.
	if progressed == 0 || progressed > 1024 {
		t.Fatalf("recorded %d of 3600 rows before stopping", progressed)
	}
}

// Warm runs the model on rows of zeros of the batch size asked: it
// succeeds on the digits CNN at 32 rows, at 8 and at 32 again (once),
// and a cancelled context stops it with the context's error.
func TestWarmRunsTheModel(t *testing.T) {
	l := openDigits(t)
	for _, rows := range []int{32, 8, 32} {
		if err := l.Warm(context.Background(), rows); err != nil {
			t.Fatalf("Warm(%d): %v", rows, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Warm(ctx, 32); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "32 rows of zeros") {
		t.Fatalf("Warm on a cancelled context: %v, want context.Canceled naming the rows", err)
	}
}

// coldDigits is the digits model whose warm-up fails, as a model's would
// that fails on rows of zeros but not on real ones.
type coldDigits struct{ *target.Local }

func (coldDigits) Warm(context.Context, int) error { return errors.New("zeros are out of range") }

// A failed warm-up does not fail the evaluation (its first batch would
// name the rows if the model failed on them), but the report says that the
// latency was measured cold, and why.
func TestRunSaysWarmUpFailed(t *testing.T) {
	l := openDigits(t)
	spec := dataset.Spec{Path: digits}
	for _, tg := range []evaluate.Target{l, coldDigits{l}} {
		rep, err := evaluate.Run(context.Background(), tg, evaluate.Options{Data: spec})
		if err != nil {
			t.Fatal(err)
		}
		warned := slices.ContainsFunc(rep.Warnings, func(w string) bool {
			return strings.Contains(w, "the warm-up failed: zeros are out of range")
		})
		if _, cold := tg.(coldDigits); warned != cold {
			t.Errorf("%T: warnings %q, want the failed warm-up named: %v", tg, rep.Warnings, cold)
		}
	}
}

// openDigits opens the digits model of the examples in process, closed
// when the test ends.
func openDigits(t *testing.T) *target.Local {
	t.Helper()
	l, err := target.OpenLocal(context.Background(), repo, "digits", "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

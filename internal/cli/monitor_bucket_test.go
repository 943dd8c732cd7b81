package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/monitor/sqlstore"
	"github.com/inferd/inferd/repository/bucket/buckettest"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
)

// The drift watcher reads a version's profile through the repository
// source, so object storage works as a directory does: digits with its
// profile.json pushed to MinIO, a server on that bucket capturing every
// request, and a window of inverted digits raises the alarm.
func TestDriftProfileInObjectStorage(t *testing.T) {
	src, url := buckettest.MinIO(t, "repo")
	repo := t.TempDir()
	dir := filepath.Join(repo, "digits")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(testutil.ExamplesDir(), "digits"))); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	cfg = append(cfg, "monitoring:\n  sample_rate: 1\n"...)
	if out, err := execute("profile", "digits", "--repository", repo, "--dataset", filepath.Join(testutil.DigitsDir(), "images"), "--calibration-windows", "100"); err != nil {
		t.Fatalf("profile: %v\n%s", err, out)
	}
	ctx := context.Background()
	labels, _ := os.ReadFile(filepath.Join(dir, "labels.txt"))
	if err := src.Put(ctx, "digits/config.yaml", cfg); err != nil {
		t.Fatal(err)
	}
	if err := src.Put(ctx, "digits/labels.txt", labels); err != nil {
		t.Fatal(err)
	}
	if err := src.PushVersion(ctx, "digits", 1, os.DirFS(filepath.Join(dir, "1"))); err != nil { // with profile.json
		t.Fatal(err)
	}

	dataDir := t.TempDir()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, "monitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg := prometheus.NewRegistry()
	m, err := monitor.New(store, monitor.WithRegisterer(reg), monitor.WithBatch(64, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.StartConfig(t, app.Config{Repository: src, Monitor: m, Registry: reg, Serving: []serving.Option{serving.WithSettle(0)}})
	w, err := drift.NewWatcher(store, src, reg)
	if err != nil {
		t.Fatal(err)
	}
	ref := testutil.LoadReference(t)
	for i := range 200 {
		img := ref.Images[i%len(ref.Images)]
		postPNG(t, srv.URL+"/models/digits", fmt.Sprintf("req-%03d", i), digitPNG(t, img.Pixels, true))
	}
	waitCaptured(t, store, 200)
	if err := w.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, ok := w.Last("digits", 1); !ok || !rep.Detected {
		t.Fatalf("no drift alarm on inverted digits with the profile in object storage: %v %+v", ok, rep)
	}
	// inferd drift reads the profile from the bucket too.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	out, err := execute("drift", "digits", "--repository", url, "--data-dir", dataDir, "--windows", "1")
	if err != nil || !strings.Contains(out, "window 1 of 1 (200 requests): DRIFT") {
		t.Fatalf("inferd drift --repository %s: %v\n%s", url, err, out)
	}
}

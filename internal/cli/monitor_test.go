package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
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
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/server/servertest"
)

// digitPNG encodes 8x8 gray pixels, inverted when invert is set.
func digitPNG(t *testing.T, pixels []int, invert bool) []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i, v := range pixels {
		if invert {
			v = 255 - v
		}
		img.SetGray(i%8, i/8, color.Gray{Y: uint8(v)})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func postPNG(t *testing.T, url, id string, body []byte) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Inferd-Request-Id", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", id, resp.StatusCode)
	}
}

// TestMonitoringLifecycle is the demonstration end to end: a profile of
// the digits example, a server capturing every request, 200 example
// digits then 200 inverted ones; the drift watcher and inferd drift flag
// the inverted window only; labels make the live accuracy fall; inferd
// data export writes the requests with their labels.
func TestMonitoringLifecycle(t *testing.T) {
	repo, dataDir := t.TempDir(), t.TempDir()
	if err := os.CopyFS(filepath.Join(repo, "digits"), os.DirFS(filepath.Join(testutil.ExamplesDir(), "digits"))); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(repo, "digits", "config.yaml")
	data, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, append(data, "monitoring:\n  sample_rate: 1\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := execute("profile", "digits", "--repository", repo, "--dataset", filepath.Join(testutil.DigitsDir(), "images"), "--calibration-windows", "100")
	if err != nil || !strings.Contains(out, "50 rows") {
		t.Fatalf("profile: %v\n%s", err, out)
	}

	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dataDir, "monitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg := prometheus.NewRegistry()
	m, err := monitor.New(store, monitor.WithRegisterer(reg), monitor.WithBatch(64, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.StartConfig(t, app.Config{RepositoryDir: repo, Monitor: m, Registry: reg})
	w, err := drift.NewWatcher(store, repository.NewDir(repo), reg)
	if err != nil {
		t.Fatal(err)
	}

	ref := testutil.LoadReference(t)
	truth := map[string]string{}
	for i := range 400 {
		img := ref.Images[i%len(ref.Images)]
		id := fmt.Sprintf("req-%03d", i)
		postPNG(t, srv.URL+"/models/digits", id, digitPNG(t, img.Pixels, i >= 200))
		truth[id] = img.Label
	}
	waitCaptured(t, store, 400)
	if err := w.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rep, ok := w.Last("digits", 1); !ok || !rep.Detected {
		t.Fatalf("the inverted window raised no alarm: %+v", rep)
	}
	metrics := getBody(t, srv.URL+"/metrics")
	if !strings.Contains(metrics, `inferd_drift_detected{feature="_dataset",model="digits",test="score",version="1"} 1`) {
		t.Fatalf("metrics lack the drift alarm")
	}

	// Labels: the example digits are answered right, the inverted ones
	// mostly wrong; the live accuracy of the last 100 falls.
	var labels []monitor.Label
	for i := range 400 {
		id := fmt.Sprintf("req-%03d", i)
		labels = append(labels, monitor.Label{RequestID: id, Label: json.RawMessage(`"` + truth[id] + `"`)})
	}
	body, _ := json.Marshal(labels[:200])
	postJSON(t, srv.URL+"/models/digits/feedback", body)
	before := accuracy(t, srv.URL)
	body, _ = json.Marshal(labels[200:])
	postJSON(t, srv.URL+"/v2/models/digits/feedback", body)
	after := accuracy(t, srv.URL)
	if before < 0.95 || after > before-0.3 {
		t.Fatalf("accuracy of the last 100 labelled: %.2f on example digits, %.2f on inverted ones", before, after)
	}
	t.Logf("live accuracy: %.2f on example digits, %.2f once inverted ones are labelled", before, after)

	report := filepath.Join(t.TempDir(), "drift.html")
	out, err = execute("drift", "digits", "--repository", repo, "--data-dir", dataDir, "--windows", "2", "--html", report)
	if err != nil || !strings.Contains(out, "window 1 of 2 (200 requests): no drift") || !strings.Contains(out, "window 2 of 2 (200 requests): DRIFT") {
		t.Fatalf("drift: %v\n%s", err, out)
	}
	if html := string(testutil.ReadFile(t, report)); !strings.Contains(html, "<td>input.brightness</td>") || !strings.Contains(html, "DRIFT") || !strings.Contains(html, "<svg") {
		t.Fatalf("the HTML drift report lacks the brightness row, the verdict or its plots")
	}

	checkExports(t, repo, dataDir, truth)
}

// checkExports runs inferd data export (JSON Lines, then an image folder)
// and inferd profile --captured on the store of TestMonitoringLifecycle.
func checkExports(t *testing.T, repo, dataDir string, truth map[string]string) {
	file := filepath.Join(t.TempDir(), "digits.jsonl")
	out, err := execute("data", "export", "digits", "--data-dir", dataDir, "--out", file)
	if err != nil || !strings.Contains(out, "400 requests") {
		t.Fatalf("export: %v\n%s", err, out)
	}
	checkExport(t, file, truth)
	dir := t.TempDir()
	if out, err = execute("data", "export", "digits", "--data-dir", dataDir, "--format", "images", "--labeled", "--limit", "50", "--out", dir); err != nil || !strings.Contains(out, "50 images") {
		t.Fatalf("export images: %v\n%s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "7", "*.png"))
	if len(pngs) != 5 {
		t.Fatalf("%d images of 7 in the exported folder, want 5", len(pngs))
	}
	if b := testutil.ReadFile(t, pngs[0]); len(b) > 400 { // the 64x64 example PNGs are about 240 bytes
		t.Fatalf("%s: %d bytes; the image must be exported as it was sent, not re-encoded", pngs[0], len(b))
	}
	if out, err = execute("data", "export", "digits", "--data-dir", dataDir, "--format", "parquet", "--out", filepath.Join(dir, "d.parquet")); err != nil || !strings.Contains(out, "400 rows") {
		t.Fatalf("export parquet: %v\n%s", err, out)
	}
	if out, err = execute("profile", "digits", "--repository", repo, "--data-dir", dataDir, "--captured", "200", "--calibration-windows", "100", "--out", filepath.Join(dir, "p.json")); err != nil || !strings.Contains(out, "200 rows") {
		t.Fatalf("profile --captured: %v\n%s", err, out)
	}
}

func waitCaptured(t *testing.T, store monitor.Store, n int) {
	for range 1000 {
		recs, err := store.Records(context.Background(), monitor.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("fewer than %d requests captured", n)
}

func checkExport(t *testing.T, file string, truth map[string]string) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var r monitor.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if string(r.Label) != `"`+truth[r.RequestID]+`"` || r.Version != 1 {
			t.Fatalf("exported %s with label %s, want %q", r.RequestID, r.Label, truth[r.RequestID])
		}
		n++
	}
	if n != 400 {
		t.Fatalf("%d exported lines", n)
	}
}

func postJSON(t *testing.T, url string, body []byte) {
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s: %d", url, resp.StatusCode)
	}
}

func accuracy(t *testing.T, base string) float64 {
	var st struct {
		Monitoring map[string]map[string]monitor.WindowStatus `json:"monitoring"`
	}
	if err := json.Unmarshal([]byte(getBody(t, base+"/models/digits")), &st); err != nil {
		t.Fatal(err)
	}
	return st.Monitoring["1"]["last_100"].Accuracy
}

func getBody(t *testing.T, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return b.String()
}

func TestMonitoringFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"sample without a store", []string{"serve", "--repository", ".", "--capture-sample", "0.5"}, "--capture-sample needs a store"},
		{"sample out of range", []string{"serve", "--repository", ".", "--data-dir", dir, "--capture-sample", "2"}, "--capture-sample must be between 0 and 1"},
		{"not postgres", []string{"serve", "--repository", ".", "--capture-store", "mysql://x"}, "want a postgres:// DSN"},
		{"bad cloudevents URL", []string{"serve", "--repository", ".", "--data-dir", dir, "--capture-cloudevents", "ftp://x"}, "is not an http(s) URL"},
		{"bad correction", []string{"serve", "--repository", ".", "--data-dir", dir, "--drift-correction", "holm"}, "holm"},
		{"profile without a source", []string{"profile", "digits"}, "give one of --dataset and --captured"},
		{"drift without a profile", []string{"drift", "digits", "--repository", dir, "--data-dir", dir}, "inferd profile"},
		{"export without a store", []string{"data", "export", "digits", "--data-dir", t.TempDir(), "--out", "-"}, "--data-dir"},
		{"export format", []string{"data", "export", "digits", "--out", "x"}, "give --data-dir or --capture-store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q\n%s", err, tt.want, out)
			}
		})
	}
}

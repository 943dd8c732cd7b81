package serving_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	_ "github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/serving"
)

const (
	cnn = "digits"     // examples/models/digits/1/model.onnx
	mlp = "digits-mlp" // examples/models/digits-mlp/1/model.onnx
)

// repo makes a repository with model "m" whose config is the digits one
// (plus extra YAML), and the given versions: number -> which example file.
func repo(t *testing.T, extra string, versions map[int]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "m")
	os.MkdirAll(dir, 0o755)
	cfg := testutil.ReadFile(t, filepath.Join(testutil.ExamplesDir(), cnn, "config.yaml"))
	cfg = []byte(strings.Replace(string(cfg), "version_labels:\n  production: 1\n", "", 1) + extra)
	os.WriteFile(filepath.Join(dir, "config.yaml"), cfg, 0o644)
	os.WriteFile(filepath.Join(dir, "labels.txt"), testutil.ReadFile(t, filepath.Join(testutil.ExamplesDir(), cnn, "labels.txt")), 0o644)
	for n, which := range versions {
		addVersion(t, root, n, which)
	}
	return root
}

func addVersion(t *testing.T, root string, n int, which string) {
	t.Helper()
	dir := filepath.Join(root, "m", itoa(n))
	os.MkdirAll(dir, 0o755)
	data := []byte(which)
	if which == cnn || which == mlp {
		data = testutil.ReadFile(t, filepath.Join(testutil.ExamplesDir(), which, "1", "model.onnx"))
	}
	// Write to a temporary name and rename, as a deploy script would.
	tmp := filepath.Join(dir, ".model.onnx.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "model.onnx")); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// manager loads root and watches it until the test ends.
func manager(t *testing.T, root string, opts ...serving.Option) *serving.Manager {
	t.Helper()
	m := serving.New(append([]serving.Option{serving.WithLogger(quiet()), serving.WithSettle(50 * time.Millisecond), serving.WithPollInterval(100 * time.Millisecond), serving.WithDrainTimeout(5 * time.Second)}, opts...)...)
	if err := m.LoadRepository(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Watch(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; m.Close() })
	return m
}

// eventually polls cond for up to 20 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func states(m *serving.Manager) string {
	mod, err := m.Model("m")
	if err != nil {
		return err.Error()
	}
	var s []string
	for _, v := range mod.Versions() {
		s = append(s, v.Label()+":"+string(v.State()))
	}
	return strings.Join(s, " ")
}

var sampleImg []byte

// sample reads the image that classify sends.
func sample(t testing.TB) {
	if sampleImg == nil {
		sampleImg = testutil.ReadFile(t, filepath.Join(testutil.DigitsDir(), "images", "7_0.png"))
	}
}

// classify runs one request the way a protocol handler does.
func classify(m *serving.Manager, ref, key string) (version int, err error) {
	v, err := m.Acquire("m", ref, key)
	if err != nil {
		return 0, err
	}
	defer v.Release()
	res, err := v.Infer(context.Background(), &serving.Request{Images: [][]byte{sampleImg}, Predictions: true})
	if err != nil {
		return v.Number, err
	}
	if preds := res.Predictions; preds[0][0].Label != "7" {
		return v.Number, errors.New("wrong answer " + preds[0][0].Label)
	}
	return v.Number, nil
}

func TestNewVersionReplacesOld(t *testing.T) {
	sample(t)
	root := repo(t, "", map[int]string{1: cnn})
	m := manager(t, root)
	if got := states(m); got != "1:AVAILABLE" {
		t.Fatalf("start: %s", got)
	}
	addVersion(t, root, 2, mlp)
	eventually(t, "version 2 replaces version 1 (latest: 1)", func() bool { return states(m) == "2:AVAILABLE" })
	if n, err := classify(m, "", ""); err != nil || n != 2 {
		t.Fatalf("default after reload: version %d, %v", n, err)
	}
	// Removing the served version's directory unloads it; version 1 (the
	// only one left on disk) is loaded instead.
	addVersion(t, root, 1, cnn)
	os.RemoveAll(filepath.Join(root, "m", "2"))
	eventually(t, "version 1 back after version 2 is removed", func() bool { return states(m) == "1:AVAILABLE" })
}

func TestCorruptVersionKeepsOldServing(t *testing.T) {
	sample(t)
	root := repo(t, "", map[int]string{1: cnn})
	m := manager(t, root)
	addVersion(t, root, 2, "this is not an ONNX file")
	eventually(t, "version 2 fails", func() bool { return states(m) == "1:AVAILABLE 2:FAILED" })
	mod, _ := m.Model("m")
	if err := mod.Version(2).Status().Err; err == nil || !strings.Contains(err.Error(), "invalid ONNX model") {
		t.Errorf("failure not visible: %v", err)
	}
	if n, err := classify(m, "", ""); err != nil || n != 1 {
		t.Fatalf("default with a failed newer version: %d, %v", n, err)
	}
	// Fixing the file loads it, and only then is version 1 retired.
	addVersion(t, root, 2, mlp)
	eventually(t, "fixed version 2 loads", func() bool { return states(m) == "2:AVAILABLE" })
}

func TestReplacedFileReloadsInPlace(t *testing.T) {
	sample(t)
	root := repo(t, "", map[int]string{1: cnn})
	m := manager(t, root)
	mod, _ := m.Model("m")
	before := mod.Version(1).Status().SHA256
	// A broken replacement keeps the old load serving, with the error shown.
	time.Sleep(20 * time.Millisecond) // a different modification time
	addVersion(t, root, 1, "garbage")
	eventually(t, "reload error shown", func() bool {
		mod, _ := m.Model("m")
		err := mod.Version(1).Status().Err
		return err != nil && strings.Contains(err.Error(), "the previous load keeps serving")
	})
	if n, err := classify(m, "1", ""); err != nil || n != 1 {
		t.Fatalf("old load after a failed reload: %v", err)
	}
	addVersion(t, root, 1, mlp)
	eventually(t, "good replacement reloads", func() bool {
		mod, _ := m.Model("m")
		st := mod.Version(1).Status()
		return st.Err == nil && st.SHA256 != before && st.State == serving.StateAvailable
	})
}

func TestConfigChange(t *testing.T) {
	sample(t)
	root := repo(t, "", map[int]string{1: cnn})
	m := manager(t, root)
	path := filepath.Join(root, "m", "config.yaml")
	orig, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(orig), "top_k: 3", "top_k: 5", 1)), 0o644)
	eventually(t, "new config applied", func() bool {
		mod, _ := m.Model("m")
		return mod.Config != nil && mod.Config.Postprocess != nil && mod.Config.Postprocess.TopK == 5 && mod.Default() != nil
	})
	os.WriteFile(path, []byte(string(orig)+"bogus: 1\n"), 0o644)
	eventually(t, "bad config rejected", func() bool {
		mod, _ := m.Model("m")
		return mod.ConfigErr != nil && strings.Contains(mod.ConfigErr.Error(), `unknown key "bogus"`)
	})
	mod, _ := m.Model("m")
	if mod.Config == nil || mod.Config.Postprocess == nil || mod.Config.Postprocess.TopK != 5 {
		t.Fatalf("previous config not kept: %+v", mod.Config)
	}
	if _, err := classify(m, "", ""); err != nil {
		t.Fatalf("serving with the previous config: %v", err)
	}
}

func TestVersionPolicies(t *testing.T) {
	tests := []struct {
		policy string
		want   string
	}{
		{"version_policy: {latest: 2}\n", "2:AVAILABLE 3:AVAILABLE"},
		{"version_policy: all\n", "1:AVAILABLE 2:AVAILABLE 3:AVAILABLE"},
		{"version_policy: {specific: [1, 3]}\n", "1:AVAILABLE 3:AVAILABLE"},
		{"", "3:AVAILABLE"},
		{"version_policy: {latest: 1}\nversion_labels: {stable: 1}\n", "1:AVAILABLE 3:AVAILABLE"},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			m := manager(t, repo(t, tt.policy, map[int]string{1: cnn, 2: mlp, 3: cnn}))
			if got := states(m); got != tt.want {
				t.Errorf("versions %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLabelsAndTraffic(t *testing.T) {
	sample(t)
	m := manager(t, repo(t, "version_policy: all\n", map[int]string{1: cnn, 2: mlp}))
	tests := []struct {
		name string
		err  error
		do   func() error
	}{
		{"label to missing version", serving.ErrInvalid, func() error { return m.SetLabel("m", "production", 9) }},
		{"label looks like a version", serving.ErrInvalid, func() error { return m.SetLabel("m", "v2", 1) }},
		{"bad label", serving.ErrInvalid, func() error { return m.SetLabel("m", "a/b", 1) }},
		{"label unknown model", serving.ErrNotFound, func() error { return m.SetLabel("x", "production", 1) }},
		{"label ok", nil, func() error { return m.SetLabel("m", "production", 1) }},
		{"delete unknown label", serving.ErrNotFound, func() error { return m.DeleteLabel("m", "canary") }},
		{"traffic negative", serving.ErrInvalid, func() error { return m.SetTraffic("m", map[string]int{"1": 90, "2": -10}) }},
		{"traffic zero", serving.ErrInvalid, func() error { return m.SetTraffic("m", map[string]int{"1": 0}) }},
		{"traffic unknown version", serving.ErrInvalid, func() error { return m.SetTraffic("m", map[string]int{"1": 90, "7": 10}) }},
		{"traffic not a version", serving.ErrInvalid, func() error { return m.SetTraffic("m", map[string]int{"latest": 100}) }},
		{"traffic ok", nil, func() error { return m.SetTraffic("m", map[string]int{"1": 90, "v2": 10}) }},
	}
	for _, tt := range tests {
		if err := tt.do(); !errors.Is(err, tt.err) && !(tt.err == nil && err == nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
	if n, err := classify(m, "production", ""); err != nil || n != 1 {
		t.Fatalf("production: %d %v", n, err)
	}
	checkSplit(t, m)
	if err := m.DeleteLabel("m", "production"); err != nil {
		t.Fatal(err)
	}
	if _, err := classify(m, "production", ""); !errors.Is(err, serving.ErrNotFound) {
		t.Errorf("deleted label still resolves: %v", err)
	}
	m.SetTraffic("m", nil)
	if n, _ := classify(m, "", ""); n != 2 {
		t.Errorf("without a split the default is the highest version, got %d", n)
	}
}

// checkSplit checks the 90/10 split of model "m" between versions 1 and 2
// over 2000 requests, and that a pinned client stays on one version.
func checkSplit(t *testing.T, m *serving.Manager) {
	t.Helper()
	counts := map[int]int{}
	for range 2000 {
		n, err := classify(m, "", "")
		if err != nil {
			t.Fatal(err)
		}
		counts[n]++
	}
	if counts[2] < 120 || counts[2] > 300 {
		t.Errorf("90/10 split gave %v", counts)
	}
	first, _ := classify(m, "", "client-42")
	for range 50 {
		if n, _ := classify(m, "", "client-42"); n != first {
			t.Fatal("a pinned client moved between versions")
		}
	}
}

// A label pins its version: the policy does not retire it, and a label
// can be moved only to an AVAILABLE version.
func TestLabelPinsVersion(t *testing.T) {
	sample(t)
	root := repo(t, "", map[int]string{1: cnn})
	m := manager(t, root)
	if err := m.SetLabel("m", "production", 1); err != nil {
		t.Fatal(err)
	}
	addVersion(t, root, 2, mlp)
	eventually(t, "version 2 loads beside the labelled version 1", func() bool { return states(m) == "1:AVAILABLE 2:AVAILABLE" })
	if err := m.SetLabel("m", "production", 2); err != nil {
		t.Fatal(err)
	}
	eventually(t, "version 1 retired once unlabelled", func() bool { return states(m) == "2:AVAILABLE" })
	m.WaitRetired()
}

func TestShadow(t *testing.T) {
	sample(t)
	reg := prometheus.NewRegistry()
	m := manager(t, repo(t, "version_policy: all\nshadow: {version: 2}\n", map[int]string{1: cnn, 2: mlp}), serving.WithRegisterer(reg))
	for range 20 {
		if _, err := classify(m, "1", ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	m.Close() // waits for the mirrored runs
	results := map[string]float64{}
	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetName() != "inferd_shadow_requests_total" {
			continue
		}
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "result" {
					results[l.GetValue()] += mt.GetCounter().GetValue()
				}
			}
		}
	}
	// Both versions read the 7 as a 7: every mirrored request agrees.
	if results["agree"]+results["dropped"] != 20 || results["agree"] < 10 || results["disagree"]+results["error"] > 0 {
		t.Errorf("shadow results %v, want 20 requests, agreeing", results)
	}
	// Requests to the shadow version itself are not mirrored.
	if _, err := classify(m, "2", ""); err == nil {
		t.Error("closed manager still serves")
	}
}

// Continuous load while versions are added, labels and traffic move and
// the old version is removed: no request fails.
func TestNoFailedRequestsDuringRollout(t *testing.T) {
	sample(t)
	root := repo(t, "version_policy: all\n", map[int]string{1: cnn})
	m := manager(t, root)
	if err := m.SetLabel("m", "production", 1); err != nil {
		t.Fatal(err)
	}
	var (
		stop     atomic.Bool
		ok, fail atomic.Int64
		wg       sync.WaitGroup
		firstErr atomic.Value
	)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref := []string{"", "production"}[i%2]
			for !stop.Load() {
				if _, err := classify(m, ref, ""); err != nil {
					fail.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	step := func(what string, f func() error) {
		t.Helper()
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	addVersion(t, root, 2, mlp)
	eventually(t, "version 2 AVAILABLE", func() bool { return states(m) == "1:AVAILABLE 2:AVAILABLE" })
	step("move production", func() error { return m.SetLabel("m", "production", 2) })
	step("split 90/10", func() error { return m.SetTraffic("m", map[string]int{"1": 90, "2": 10}) })
	step("all traffic to 2", func() error { return m.SetTraffic("m", map[string]int{"2": 100}) })
	step("remove version 1", func() error { return os.RemoveAll(filepath.Join(root, "m", "1")) })
	eventually(t, "version 1 unloaded", func() bool { return states(m) == "2:AVAILABLE" })
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if fail.Load() > 0 || ok.Load() == 0 {
		t.Fatalf("%d requests failed (first: %v), %d succeeded", fail.Load(), firstErr.Load(), ok.Load())
	}
	t.Logf("%d requests during the rollout, none failed", ok.Load())
}

func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(entries)
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// 50 load/unload cycles leave neither memory nor file handles behind.
func TestLoadUnloadCyclesDoNotLeak(t *testing.T) {
	sample(t)
	root := repo(t, "", map[int]string{1: cnn})
	m := serving.New(serving.WithLogger(quiet()), serving.WithExplicitControl(true))
	if err := m.LoadRepository(context.Background(), root); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if ok, _ := m.Ready(); !ok {
		t.Fatal("explicit mode with nothing loaded should be ready")
	}
	cycle := func() {
		if err := m.LoadModel(context.Background(), "m"); err != nil {
			t.Fatal(err)
		}
		if _, err := classify(m, "", ""); err != nil {
			t.Fatal(err)
		}
		if err := m.UnloadModel("m"); err != nil {
			t.Fatal(err)
		}
		m.WaitRetired()
	}
	for range 5 { // warm caches and pools first
		cycle()
	}
	fds, heap := openFDs(t), heapInUse()
	for range 50 {
		cycle()
	}
	if _, err := classify(m, "", ""); !errors.Is(err, serving.ErrUnavailable) {
		t.Errorf("unloaded model still answers: %v", err)
	}
	fds2, heap2 := openFDs(t), heapInUse()
	if fds2 > fds {
		t.Errorf("file handles: %d before, %d after 50 cycles", fds, fds2)
	}
	if heap2 > heap+4<<20 {
		t.Errorf("heap in use: %d before, %d after 50 cycles", heap, heap2)
	}
	t.Logf("heap in use %d -> %d bytes, fds %d -> %d", heap, heap2, fds, fds2)
	idx, err := m.Index(context.Background())
	if err != nil || len(idx) != 1 || idx[0].State != "UNAVAILABLE" {
		t.Errorf("index = %+v, %v", idx, err)
	}
	if err := m.LoadModel(context.Background(), "../etc"); !errors.Is(err, serving.ErrNotFound) {
		t.Errorf("LoadModel outside the repository: %v", err)
	}
}

func TestWarmup(t *testing.T) {
	sample(t)
	tests := []struct {
		name, cfg, file, content string
		want                     string // version state and error text
	}{
		{"zeros", "warmup: {runs: 3}\n", "", "", "AVAILABLE"},
		{"image sample", "warmup: {runs: 2, sample: warm.png}\n", "warm.png", "png", "AVAILABLE"},
		{"json sample", "warmup: {sample: warm.json}\n", "warm.json", `{"inputs": {"input": [[[[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0]]]]}}`, "AVAILABLE"},
		{"wrong shape", "warmup: {sample: warm.json}\n", "warm.json", `{"inputs": {"input": [[1, 2, 3]]}}`, "FAILED warmup: run 1 of 1"},
		{"missing sample", "warmup: {sample: nope.png}\n", "", "", "FAILED warmup: open"},
		{"corrupt image", "warmup: {sample: warm.png}\n", "warm.png", "not an image", "FAILED warmup: warm.png: bad image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := repo(t, tt.cfg, map[int]string{1: cnn})
			if tt.file != "" {
				data := []byte(tt.content)
				if tt.content == "png" {
					data = testutil.ReadFile(t, filepath.Join(testutil.DigitsDir(), "images", "7_0.png"))
				}
				os.WriteFile(filepath.Join(root, "m", tt.file), data, 0o644)
			}
			m := manager(t, root)
			mod, _ := m.Model("m")
			st := mod.Version(1).Status()
			got := string(st.State)
			if st.Err != nil {
				got += " " + st.Err.Error()
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("version 1: %s, want %s...", got, tt.want)
			}
		})
	}
}

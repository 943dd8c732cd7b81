package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
)

// lifecycleRepo is a repository with model "m" (the digits config) and the
// given versions, each a copy of an example model file.
func lifecycleRepo(t *testing.T, extra string, versions map[int]string) string {
	t.Helper()
	root := t.TempDir()
	copyDir(t, filepath.Join(testutil.ExamplesDir(), "digits"), filepath.Join(root, "m"))
	os.RemoveAll(filepath.Join(root, "m", "1"))
	cfg := filepath.Join(root, "m", "config.yaml")
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "version_labels:\n  production: 1\n", "", 1)+extra), 0o644)
	for n, which := range versions {
		putVersion(t, root, n, which)
	}
	return root
}

func putVersion(t *testing.T, root string, n int, which string) {
	t.Helper()
	dir := filepath.Join(root, "m", fmt.Sprint(n))
	os.MkdirAll(dir, 0o755)
	data := testutil.ReadFile(t, filepath.Join(testutil.ExamplesDir(), which, "1", "model.onnx"))
	tmp := filepath.Join(dir, ".tmp")
	os.WriteFile(tmp, data, 0o644)
	os.Rename(tmp, filepath.Join(dir, "model.onnx"))
}

// startWatching serves root with a manager that follows the repository.
func startWatching(t *testing.T, root string, opts ...serving.Option) (string, *serving.Manager) {
	t.Helper()
	in := servertest.StartConfig(t, app.Config{
		RepositoryDir: root, Watch: true, PollInterval: 100 * time.Millisecond,
		Serving: append([]serving.Option{serving.WithSettle(50 * time.Millisecond)}, opts...),
	})
	return in.URL, in.Models
}

func jsonBody(v any) []byte { b, _ := json.Marshal(v); return b }

func modelVersions(t *testing.T, url string) string {
	var m struct {
		Versions []struct{ Version, State string }
	}
	get(t, url+"/models/m").json(t, &m)
	var s []string
	for _, v := range m.Versions {
		s = append(s, v.Version+":"+v.State)
	}
	return strings.Join(s, " ")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// The rollout of issue 7 over real HTTP, under continuous load: add a
// version, move production to it, split 90/10, move all traffic, remove
// the old version. No request fails, and every answer comes from a
// version that was valid for its route at that moment.
func TestRolloutUnderLoad(t *testing.T) {
	root := lifecycleRepo(t, "version_policy: all\nversion_labels: {production: 1}\n", map[int]string{1: "digits"})
	url, _ := startWatching(t, root)
	load := newRolloutLoad(url, sample(t, "7_0.png"))
	load.start(8)
	do200 := func(method, path string, body any) {
		t.Helper()
		r := do(t, method, url+path, "application/json", jsonBody(body))
		if r.code != 200 {
			t.Fatalf("%s %s: %d %s", method, path, r.code, r.body)
		}
	}
	pause := func() { time.Sleep(200 * time.Millisecond) }

	pause()
	// With version_policy all and no split, the unversioned route goes to
	// the highest version as soon as version 2 is AVAILABLE.
	load.allow("/models/m", "2")
	putVersion(t, root, 2, "digits-mlp")
	waitFor(t, "version 2 AVAILABLE", func() bool { return modelVersions(t, url) == "1:AVAILABLE 2:AVAILABLE" })
	load.disallow("/models/m", "1")
	pause()
	load.allow("/models/m/production", "2")
	do200(http.MethodPut, "/models/m/labels/production", map[string]any{"version": 2})
	load.disallow("/models/m/production", "1")
	pause()
	load.allow("/models/m", "1")
	do200(http.MethodPut, "/models/m/traffic", map[string]int{"1": 90, "2": 10})
	pause()
	do200(http.MethodPut, "/models/m/traffic", map[string]int{"2": 100})
	load.disallow("/models/m", "1")
	pause()
	os.RemoveAll(filepath.Join(root, "m", "1"))
	waitFor(t, "version 1 unloaded", func() bool { return modelVersions(t, url) == "2:AVAILABLE" })
	pause()
	load.stopAndCheck(t)
}

// rolloutLoad is continuous load on the routes of model "m" that checks
// every answer against the versions valid for its route at that moment.
type rolloutLoad struct {
	url    string
	png    []byte
	client *http.Client
	stop   atomic.Bool
	ok     atomic.Int64
	wg     sync.WaitGroup

	mu       sync.Mutex
	allowed  map[string]map[string]bool // route -> versions valid now
	failures []string
	perRoute map[string]map[string]int // route -> version -> answers
}

// newRolloutLoad is load of png on url, with version 1 valid on both
// routes.
func newRolloutLoad(url string, png []byte) *rolloutLoad {
	return &rolloutLoad{
		url:    url,
		png:    png,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 30 * time.Second},
		allowed: map[string]map[string]bool{
			"/models/m":            {"1": true},
			"/models/m/production": {"1": true},
		},
		perRoute: map[string]map[string]int{},
	}
}

// allow makes versions valid answers on route.
func (l *rolloutLoad) allow(route string, versions ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range versions {
		l.allowed[route][v] = true
	}
}

// disallow makes versions invalid answers on route.
func (l *rolloutLoad) disallow(route string, versions ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range versions {
		delete(l.allowed[route], v)
	}
}

// start starts clients goroutines, alternating between the two routes,
// each sending requests one after another until stopped (at most 100000).
func (l *rolloutLoad) start(clients int) {
	for i := range clients {
		route := []string{"/models/m", "/models/m/production"}[i%2]
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := 0; !l.stop.Load() && n < 100000; n++ {
				l.request(route)
			}
		}()
	}
}

// request sends one request on route and records its outcome: valid if
// its version was allowed before it was sent or is allowed now.
func (l *rolloutLoad) request(route string) {
	l.mu.Lock()
	before := map[string]bool{}
	for v := range l.allowed[route] {
		before[v] = true
	}
	l.mu.Unlock()
	req, _ := http.NewRequest(http.MethodPost, l.url+route, strings.NewReader(string(l.png)))
	req.Header.Set("Content-Type", "image/png")
	resp, err := l.client.Do(req)
	if err != nil {
		l.mu.Lock()
		l.failures = append(l.failures, err.Error())
		l.mu.Unlock()
		return
	}
	var ans struct {
		Version     string
		Predictions []struct{ Label string }
		Error       string
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	resp.Body.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	valid := before[ans.Version] || l.allowed[route][ans.Version]
	if resp.StatusCode != 200 || !valid || len(ans.Predictions) == 0 || ans.Predictions[0].Label != "7" {
		l.failures = append(l.failures, fmt.Sprintf("%s: %d version %q (allowed %v) %s", route, resp.StatusCode, ans.Version, before, ans.Error))
		return
	}
	l.ok.Add(1)
	if l.perRoute[route] == nil {
		l.perRoute[route] = map[string]int{}
	}
	l.perRoute[route][ans.Version]++
}

// stopAndCheck stops the load, waits for it, and fails if any request
// failed, none succeeded, or a route never answered with a version it
// must have served during the rollout.
func (l *rolloutLoad) stopAndCheck(t *testing.T) {
	t.Helper()
	l.stop.Store(true)
	l.wg.Wait()
	if len(l.failures) > 0 || l.ok.Load() == 0 {
		t.Fatalf("%d requests succeeded, %d failed; first failures: %v", l.ok.Load(), len(l.failures), l.failures[:min(5, len(l.failures))])
	}
	if l.perRoute["/models/m"]["1"] == 0 || l.perRoute["/models/m"]["2"] == 0 || l.perRoute["/models/m/production"]["2"] == 0 {
		t.Errorf("answers per route and version: %v", l.perRoute)
	}
	t.Logf("%d requests during the rollout, none failed: %v", l.ok.Load(), l.perRoute)
}

func TestLabelAndTrafficAPI(t *testing.T) {
	root := lifecycleRepo(t, "version_policy: all\n", map[int]string{1: "digits", 2: "digits-mlp"})
	url, _ := startWatching(t, root)
	tests := []struct {
		method, path, body string
		code               int
		msg                string
	}{
		{"PUT", "/models/m/labels/production", `{"version": 9}`, 400, "version 9 of model \"m\" is not loaded; a label can only point at an AVAILABLE version"},
		{"PUT", "/models/m/labels/production", `{"version": 0}`, 400, "is not a version"},
		{"PUT", "/models/m/labels/production", `{"version": "two"}`, 400, "is not a version"},
		{"PUT", "/models/m/labels/production", `{}`, 400, `body needs "version"`},
		{"PUT", "/models/m/labels/production", `{"version": 1, "extra": 1}`, 400, `unknown field "extra"`},
		{"PUT", "/models/m/labels/production", `not json`, 400, "not valid JSON"},
		{"PUT", "/models/m/labels/v3", `{"version": 1}`, 400, "looks like a version number"},
		{"PUT", "/models/nope/labels/production", `{"version": 1}`, 404, `model "nope"`},
		{"DELETE", "/models/m/labels/canary", ``, 404, `has no label "canary"`},
		{"PUT", "/models/m/traffic", `{"1": 90, "2": -10}`, 400, "negative weight"},
		{"PUT", "/models/m/traffic", `{"1": 0}`, 400, "weights add up to 0"},
		{"PUT", "/models/m/traffic", `{"1": 50, "7": 50}`, 400, "version 7 of model \"m\" is not AVAILABLE"},
		{"PUT", "/models/m/traffic", `{"latest": 100}`, 400, `"latest" is not a version`},
		{"PUT", "/models/m/traffic", `[1, 2]`, 400, "wrong type"},
		{"PUT", "/models/m/traffic", `null`, 400, "body must be an object"},
		{"PUT", "/models/m/labels/production", `{"version": "v1"}`, 200, ""},
		{"PUT", "/models/m/traffic", `{"1": 90, "v2": 10}`, 200, ""},
		{"POST", "/v2/repository/models/m/unload", ``, 400, "needs --model-control explicit"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
			r := do(t, tt.method, url+tt.path, "application/json", []byte(tt.body))
			var e struct{ Error string }
			r.json(t, &e)
			if r.code != tt.code || !strings.Contains(e.Error, tt.msg) {
				t.Errorf("%d %s, want %d with %q", r.code, r.body, tt.code, tt.msg)
			}
		})
	}
	var m struct {
		Labels  map[string]int `json:"version_labels"`
		Traffic map[string]int `json:"traffic"`
		Policy  map[string]any `json:"version_policy"`
	}
	get(t, url+"/models/m").json(t, &m)
	if m.Labels["production"] != 1 || m.Traffic["1"] != 90 || m.Traffic["2"] != 10 || m.Policy["all"] != true {
		t.Errorf("/models/m = %+v", m)
	}
	checkPinnedClient(t, url)
	checkDeleteLabelAndTraffic(t, url)
}

// checkPinnedClient checks that a client sending its ID always lands on
// the same version of the split of model "m".
func checkPinnedClient(t *testing.T, url string) {
	t.Helper()
	first := ""
	for i := range 30 {
		req, _ := http.NewRequest(http.MethodPost, url+"/models/m", strings.NewReader(string(sample(t, "2_0.png"))))
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set(server.ClientHeader, "client-7")
		var ans struct{ Version string }
		send(t, req).json(t, &ans)
		if i == 0 {
			first = ans.Version
		} else if ans.Version != first {
			t.Fatalf("pinned client moved from version %s to %s", first, ans.Version)
		}
	}
}

// checkDeleteLabelAndTraffic deletes the split and the production label of
// model "m" and checks that both are gone.
func checkDeleteLabelAndTraffic(t *testing.T, url string) {
	t.Helper()
	if r := do(t, "DELETE", url+"/models/m/traffic", "", nil); r.code != 200 {
		t.Errorf("DELETE traffic: %d %s", r.code, r.body)
	}
	if r := do(t, "DELETE", url+"/models/m/labels/production", "", nil); r.code != 200 {
		t.Errorf("DELETE label: %d %s", r.code, r.body)
	}
	var after struct {
		Labels  map[string]int `json:"version_labels"`
		Traffic map[string]int `json:"traffic"`
	}
	get(t, url+"/models/m").json(t, &after)
	if len(after.Labels) != 0 || len(after.Traffic) != 0 {
		t.Errorf("after DELETE: %+v", after)
	}
	if r := get(t, url+"/models/m/production"); r.code != 404 {
		t.Errorf("deleted label still resolves: %d", r.code)
	}
}

// A corrupt new version fails to load; the old one keeps serving and the
// failure shows in the model, the metrics-facing state and the index.
func TestCorruptVersionOverHTTP(t *testing.T) {
	root := lifecycleRepo(t, "", map[int]string{1: "digits"})
	url, _ := startWatching(t, root)
	os.MkdirAll(filepath.Join(root, "m", "2"), 0o755)
	os.WriteFile(filepath.Join(root, "m", "2", "model.onnx"), []byte("corrupt"), 0o644)
	waitFor(t, "version 2 FAILED", func() bool { return modelVersions(t, url) == "1:AVAILABLE 2:FAILED" })
	var ans struct{ Version string }
	r := do(t, http.MethodPost, url+"/models/m", "image/png", sample(t, "1_0.png"))
	r.json(t, &ans)
	if r.code != 200 || ans.Version != "1" {
		t.Fatalf("old version not serving: %d %s", r.code, r.body)
	}
	var idx []serving.IndexEntry
	do(t, http.MethodPost, url+"/v2/repository/index", "", nil).json(t, &idx)
	if len(idx) != 2 || idx[1].State != "UNAVAILABLE" || !strings.Contains(idx[1].Reason, "invalid ONNX model") {
		t.Errorf("index = %+v", idx)
	}
}

func TestExplicitModelControl(t *testing.T) {
	root := lifecycleRepo(t, "", map[int]string{1: "digits"})
	url, _ := startWatching(t, root, serving.WithExplicitControl(true))
	if r := get(t, url+"/readyz"); r.code != 200 {
		t.Fatalf("nothing loaded is ready in explicit mode: %d %s", r.code, r.body)
	}
	if r := do(t, http.MethodPost, url+"/models/m", "image/png", sample(t, "1_0.png")); r.code != 503 || !strings.Contains(string(r.body), "not loaded") {
		t.Fatalf("before load: %d %s", r.code, r.body)
	}
	if r := do(t, http.MethodPost, url+"/v2/repository/models/m/load", "", nil); r.code != 200 {
		t.Fatalf("load: %d %s", r.code, r.body)
	}
	if r := do(t, http.MethodPost, url+"/models/m", "image/png", sample(t, "1_0.png")); r.code != 200 {
		t.Fatalf("after load: %d %s", r.code, r.body)
	}
	var idx []serving.IndexEntry
	do(t, http.MethodPost, url+"/v2/repository/index", "application/json", []byte(`{"ready": true}`)).json(t, &idx)
	if len(idx) != 1 || idx[0].Name != "m" || idx[0].State != "READY" {
		t.Errorf("index = %+v", idx)
	}
	for path, code := range map[string]int{"/v2/repository/models/nope/load": 404, "/v2/repository/models/m/unload": 200} {
		if r := do(t, http.MethodPost, url+path, "", nil); r.code != code {
			t.Errorf("%s: %d %s, want %d", path, r.code, r.body, code)
		}
	}
	if r := do(t, http.MethodPost, url+"/models/m", "image/png", sample(t, "1_0.png")); r.code != 503 {
		t.Errorf("after unload: %d %s", r.code, r.body)
	}
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

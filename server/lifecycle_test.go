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
	png := sample(t, "7_0.png")

	var (
		mu      sync.Mutex
		allowed = map[string]map[string]bool{ // route -> versions valid now
			"/models/m":            {"1": true},
			"/models/m/production": {"1": true},
		}
		stop      atomic.Bool
		ok        atomic.Int64
		failures  []string
		wg        sync.WaitGroup
		perRoute  = map[string]map[string]int{}
		transport = &http.Transport{MaxIdleConnsPerHost: 16}
		client    = &http.Client{Transport: transport, Timeout: 30 * time.Second}
	)
	allow := func(route string, versions ...string) {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range versions {
			allowed[route][v] = true
		}
	}
	disallow := func(route string, versions ...string) {
		mu.Lock()
		defer mu.Unlock()
		for _, v := range versions {
			delete(allowed[route], v)
		}
	}
	for i := range 8 {
		route := []string{"/models/m", "/models/m/production"}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load() && n < 100000; n++ {
				mu.Lock()
				before := map[string]bool{}
				for v := range allowed[route] {
					before[v] = true
				}
				mu.Unlock()
				req, _ := http.NewRequest(http.MethodPost, url+route, strings.NewReader(string(png)))
				req.Header.Set("Content-Type", "image/png")
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				var ans struct {
					Version     string
					Predictions []struct{ Label string }
					Error       string
				}
				json.NewDecoder(resp.Body).Decode(&ans)
				resp.Body.Close()
				mu.Lock()
				valid := before[ans.Version] || allowed[route][ans.Version]
				if resp.StatusCode != 200 || !valid || len(ans.Predictions) == 0 || ans.Predictions[0].Label != "7" {
					failures = append(failures, fmt.Sprintf("%s: %d version %q (allowed %v) %s", route, resp.StatusCode, ans.Version, before, ans.Error))
				} else {
					ok.Add(1)
					if perRoute[route] == nil {
						perRoute[route] = map[string]int{}
					}
					perRoute[route][ans.Version]++
				}
				mu.Unlock()
			}
		}()
	}
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
	allow("/models/m", "2")
	putVersion(t, root, 2, "digits-mlp")
	waitFor(t, "version 2 AVAILABLE", func() bool { return modelVersions(t, url) == "1:AVAILABLE 2:AVAILABLE" })
	disallow("/models/m", "1")
	pause()
	allow("/models/m/production", "2")
	do200(http.MethodPut, "/models/m/labels/production", map[string]any{"version": 2})
	disallow("/models/m/production", "1")
	pause()
	allow("/models/m", "1")
	do200(http.MethodPut, "/models/m/traffic", map[string]int{"1": 90, "2": 10})
	pause()
	do200(http.MethodPut, "/models/m/traffic", map[string]int{"2": 100})
	disallow("/models/m", "1")
	pause()
	os.RemoveAll(filepath.Join(root, "m", "1"))
	waitFor(t, "version 1 unloaded", func() bool { return modelVersions(t, url) == "2:AVAILABLE" })
	pause()
	stop.Store(true)
	wg.Wait()
	if len(failures) > 0 || ok.Load() == 0 {
		t.Fatalf("%d requests succeeded, %d failed; first failures: %v", ok.Load(), len(failures), failures[:min(5, len(failures))])
	}
	if perRoute["/models/m"]["1"] == 0 || perRoute["/models/m"]["2"] == 0 || perRoute["/models/m/production"]["2"] == 0 {
		t.Errorf("answers per route and version: %v", perRoute)
	}
	t.Logf("%d requests during the rollout, none failed: %v", ok.Load(), perRoute)
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
	// A pinned client always lands on the same version of the split.
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

package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
)

func TestHealthAndListing(t *testing.T) {
	s := start(t, testutil.ExamplesCopy(t))
	if r := get(t, s.url+"/healthz"); r.code != 200 {
		t.Fatalf("/healthz: %d %s", r.code, r.body)
	}
	if r := get(t, s.url+"/readyz"); r.code != 200 {
		t.Fatalf("/readyz: %d %s", r.code, r.body)
	}
	var list struct {
		Models []struct {
			Name           string `json:"name"`
			DefaultVersion string `json:"default_version"`
			Versions       []struct{ Version, State, Error string }
		}
	}
	get(t, s.url+"/models").json(t, &list)
	if len(list.Models) != 5 || list.Models[0].Name != "digits" || list.Models[1].Name != "digits-ensemble" || list.Models[2].Name != "digits-mlp" ||
		list.Models[3].Name != "read-number" || list.Models[4].Name != "read-number-detector" {
		t.Fatalf("/models = %+v", list)
	}
	for _, m := range list.Models {
		if m.DefaultVersion != "1" || len(m.Versions) != 1 || m.Versions[0].State != "AVAILABLE" {
			t.Errorf("%s: %+v", m.Name, m)
		}
	}
	var one struct {
		Name           string         `json:"name"`
		DefaultVersion string         `json:"default_version"`
		Labels         map[string]int `json:"version_labels"`
	}
	get(t, s.url+"/models/digits").json(t, &one)
	if one.Name != "digits" || one.DefaultVersion != "1" || one.Labels["production"] != 1 {
		t.Errorf("/models/digits = %+v", one)
	}
}

func TestVersionMetadata(t *testing.T) {
	s := start(t, testutil.ExamplesCopy(t))
	file, err := os.ReadFile(filepath.Join(testutil.ExamplesDir(), "digits", "1", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"v1", "1", "production"} {
		t.Run(ref, func(t *testing.T) {
			var md versionMetadata
			r := get(t, s.url+"/models/digits/"+ref)
			if r.code != 200 {
				t.Fatalf("%d %s", r.code, r.body)
			}
			r.json(t, &md)
			checkVersionIdentity(t, md, r.body, file)
			checkVersionTensors(t, md)
			checkVersionProcessing(t, md)
		})
	}
}

// versionMetadata is the seed route's metadata of one model version.
type versionMetadata struct {
	Name, Version, Platform, Engine, State, Error, SHA256 string
	LoadedAt                                              string `json:"loaded_at"`
	Inputs                                                []struct {
		Name     string `json:"name"`
		Datatype string `json:"datatype"`
		Shape    []int  `json:"shape"`
	}
	Outputs       []struct{ Name string }
	Preprocessing struct {
		Image struct {
			Color  string `json:"color"`
			Resize struct {
				Width, Height int
				Filter        string
			} `json:"resize"`
			Layout string `json:"layout"`
		} `json:"image"`
	}
	Postprocessing struct {
		Softmax bool `json:"softmax"`
		TopK    int  `json:"top_k"`
	}
	NumLabels int   `json:"num_labels"`
	SizeBytes int64 `json:"size_bytes"`
}

// checkVersionIdentity checks which version md describes, its state, and
// the hash and size of its model file.
func checkVersionIdentity(t *testing.T, md versionMetadata, body, file []byte) {
	t.Helper()
	sum := sha256.Sum256(file)
	if md.Name != "digits" || md.Version != "1" || md.Platform != "onnx" || md.Engine != "native" || md.State != "AVAILABLE" || md.Error != "" {
		t.Errorf("metadata = %s", body)
	}
	if md.SHA256 != hex.EncodeToString(sum[:]) || md.SizeBytes != int64(len(file)) {
		t.Errorf("sha256 %s size %d, want %x %d", md.SHA256, md.SizeBytes, sum, len(file))
	}
}

// checkVersionTensors checks the inputs and outputs of digits version 1.
func checkVersionTensors(t *testing.T, md versionMetadata) {
	t.Helper()
	if len(md.Inputs) != 1 || md.Inputs[0].Name != "input" || md.Inputs[0].Datatype != "FP32" || len(md.Inputs[0].Shape) != 4 || md.Inputs[0].Shape[0] != -1 {
		t.Errorf("inputs = %+v", md.Inputs)
	}
	if len(md.Outputs) != 1 || md.Outputs[0].Name != "logits" {
		t.Errorf("outputs = %+v", md.Outputs)
	}
}

// checkVersionProcessing checks the pre- and postprocessing of digits
// version 1, its labels and its load time.
func checkVersionProcessing(t *testing.T, md versionMetadata) {
	t.Helper()
	if p := md.Preprocessing.Image; p.Color != "gray" || p.Resize.Width != 8 || p.Resize.Filter != "area" || p.Layout != "NCHW" {
		t.Errorf("preprocessing = %+v", p)
	}
	if !md.Postprocessing.Softmax || md.Postprocessing.TopK != 3 || md.NumLabels != 10 {
		t.Errorf("postprocessing %+v, %d labels", md.Postprocessing, md.NumLabels)
	}
	if md.LoadedAt == "" {
		t.Error("no loaded_at")
	}
}

func TestMetrics(t *testing.T) {
	s := start(t, testutil.ExamplesCopy(t))
	do(t, http.MethodPost, s.url+"/models/digits/v1", "image/png", sample(t, "7_0.png"))
	do(t, http.MethodPost, s.url+"/models/digits/v1", "text/plain", []byte("x"))
	get(t, s.url+"/models/nope")
	r := get(t, s.url+"/metrics")
	if r.code != 200 {
		t.Fatalf("/metrics: %d", r.code)
	}
	body := string(r.body)
	for _, want := range []string{
		`inferd_http_requests_total{code="200",model="digits",protocol="seed",route="/models/{name}/{version}",version="1"} 1`,
		`inferd_http_requests_total{code="415",model="digits",protocol="seed",route="/models/{name}/{version}",version="1"} 1`,
		`inferd_http_requests_total{code="404",model="",protocol="seed",route="/models/{name}",version=""} 1`,
		`inferd_http_request_duration_seconds_bucket{code="200",model="digits",protocol="seed",route="/models/{name}/{version}",version="1",le="+Inf"} 1`,
		`inferd_model_state{model="digits",state="AVAILABLE",version="1"} 1`,
		`inferd_model_state{model="digits",state="FAILED",version="1"} 0`,
		`inferd_model_load_seconds{model="digits-mlp",version="1"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// A broken version or model must not take the others down.
func TestFailedVersionsKeepOthersServing(t *testing.T) {
	s := start(t, failingRepo(t))
	checkDigitsKeepsServing(t, s.url)
	checkBrokenModels(t, s.url)
	// Under the default readiness policy, models that never loaded do not
	// take the server out of its Service; /readyz names them.
	if r := get(t, s.url+"/readyz"); r.code != http.StatusOK || !strings.Contains(string(r.body), `"not_serving":"no AVAILABLE version of: broken, mismatch"`) {
		t.Errorf("/readyz with a broken model: %d %s", r.code, r.body)
	}
}

// failingRepo is a repository with digits version 1 and a corrupt version
// 2 (and a version 3 without a model file), a model "broken" whose config
// is wrong and a model "mismatch" whose config does not match its file.
func failingRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	copyDir(t, filepath.Join(testutil.ExamplesDir(), "digits"), filepath.Join(repo, "digits"))
	// Version 2: a corrupt model file. Version 3: no model file at all.
	os.MkdirAll(filepath.Join(repo, "digits", "2"), 0o755)
	os.WriteFile(filepath.Join(repo, "digits", "2", "model.onnx"), []byte("this is not ONNX"), 0o644)
	os.MkdirAll(filepath.Join(repo, "digits", "3"), 0o755)
	// A model whose config is wrong.
	copyDir(t, filepath.Join(testutil.ExamplesDir(), "digits-mlp"), filepath.Join(repo, "broken"))
	os.WriteFile(filepath.Join(repo, "broken", "config.yaml"), []byte("engine: native\nbogus: 1\n"), 0o644)
	// A model whose config does not match its file.
	copyDir(t, filepath.Join(testutil.ExamplesDir(), "digits-mlp"), filepath.Join(repo, "mismatch"))
	os.WriteFile(filepath.Join(repo, "mismatch", "config.yaml"), []byte("inputs: [{name: pixels, datatype: FP32}]\n"), 0o644)
	return repo
}

// modelVersionList is the part of /models/{name} that lists the versions.
type modelVersionList struct {
	DefaultVersion string `json:"default_version"`
	Versions       []struct{ Version, State, Error string }
}

// checkDigitsKeepsServing checks that in failingRepo digits version 2
// failed and version 1 serves, as itself and as the default version.
func checkDigitsKeepsServing(t *testing.T, url string) {
	t.Helper()
	var m modelVersionList
	get(t, url+"/models/digits").json(t, &m)
	// The policy (latest: 1) selects version 2, the highest with a model
	// file; it fails, so version 1 keeps serving. Version 3 has no model
	// file yet and is not listed.
	if m.DefaultVersion != "1" || len(m.Versions) != 2 || m.Versions[0].State != "AVAILABLE" {
		t.Fatalf("/models/digits = %+v", m)
	}
	if v := m.Versions[1]; v.State != "FAILED" || !strings.Contains(v.Error, "2/model.onnx") {
		t.Errorf("version 2 = %+v", v)
	}
	r := do(t, http.MethodPost, url+"/models/digits/v2", "image/png", sample(t, "3_0.png"))
	if r.code != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "FAILED") {
		t.Errorf("predict on failed version: %d %s", r.code, r.body)
	}
	var def struct{ Version string }
	r = do(t, http.MethodPost, url+"/models/digits", "image/png", sample(t, "3_0.png"))
	if r.json(t, &def); r.code != 200 || def.Version != "1" {
		t.Errorf("POST /models/digits (the default version): %d %s", r.code, r.body)
	}
	var ans struct{ Predictions []struct{ Label string } }
	do(t, http.MethodPost, url+"/models/digits/v1", "image/png", sample(t, "3_0.png")).json(t, &ans)
	if len(ans.Predictions) == 0 || ans.Predictions[0].Label != "3" {
		t.Errorf("digits v1 no longer serves: %+v", ans)
	}
}

// checkBrokenModels checks that the models of failingRepo whose config is
// wrong report why.
func checkBrokenModels(t *testing.T, url string) {
	t.Helper()
	var b struct{ Error string }
	get(t, url+"/models/broken").json(t, &b)
	if !strings.Contains(b.Error, `unknown key "bogus"`) || !strings.Contains(b.Error, "config.yaml") {
		t.Errorf("broken model error = %q", b.Error)
	}
	var m modelVersionList
	get(t, url+"/models/mismatch").json(t, &m)
	if len(m.Versions) != 1 || !strings.Contains(m.Versions[0].Error, `the model has no input named "pixels"`) {
		t.Errorf("mismatch = %+v", m)
	}
}

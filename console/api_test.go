package console_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/inferd/inferd/console"
	"github.com/inferd/inferd/server"
)

func TestOverviewAndModelPage(t *testing.T) {
	in := start(t, examples(t), server.ConsoleAuto)
	var wg sync.WaitGroup // concurrent requests so that some batch together
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if code := do(t, http.MethodPost, in.URL+"/v2/models/digits/versions/2/infer", digitsInput(2), nil); code != http.StatusOK {
					t.Errorf("infer: %d", code)
				}
			}
		}()
	}
	wg.Wait()
	if code := do(t, http.MethodPost, in.URL+"/v2/models/digits/versions/2/infer", `{"inputs":[]}`, nil); code != http.StatusBadRequest {
		t.Errorf("bad request: %d, want 400", code)
	}

	var ov console.Overview
	if code := get(t, in.URL+"/ui/api/overview", &ov); code != http.StatusOK {
		t.Fatalf("overview: %d", code)
	}
	byName := map[string]console.ModelSummary{}
	for _, m := range ov.Models {
		byName[m.Name] = m
	}
	for _, tc := range []struct {
		name     string
		pipeline bool
		versions int
	}{{"digits", false, 2}, {"digits-mlp", false, 1}, {"digits-ensemble", true, 1}} {
		m, ok := byName[tc.name]
		if !ok || m.Pipeline != tc.pipeline || len(m.Versions) != tc.versions {
			t.Errorf("overview of %s: %+v, want pipeline %v and %d versions", tc.name, m, tc.pipeline, tc.versions)
		}
	}
	d := byName["digits"]
	if d.Labels["production"] != 1 || d.Versions[1].State != "AVAILABLE" {
		t.Errorf("digits: labels %v, version 2 %s", d.Labels, d.Versions[1].State)
	}
	if v2 := d.Versions[1]; v2.RPS <= 0 || v2.Spark == nil || v2.ErrorRate <= 0 || v2.P50 <= 0 {
		t.Errorf("digits version 2 after 41 requests: %+v, want a rate, an error rate, p50 and sparklines", v2)
	}
	if v1 := d.Versions[0]; v1.Spark != nil || v1.RPS != 0 {
		t.Errorf("digits version 1 had no traffic but shows %+v", v1)
	}

	var page console.ModelPage
	if code := get(t, in.URL+"/ui/api/models/digits", &page); code != http.StatusOK {
		t.Fatalf("model page: %d", code)
	}
	h := page.History[1].Hour
	var batched, queued uint64
	for _, b := range h.BatchSizes {
		batched += b.Count
	}
	for _, q := range h.QueueTimes {
		queued += q.Count
	}
	if h.Requests != 41 || h.Errors != 1 || batched == 0 || queued != 40 || len(page.History[1].Series) != 360 {
		t.Errorf("version 2's hour: %d requests, %d errors, %d batches, %d queued, %d points; want 41, 1, some, 40, 360",
			h.Requests, h.Errors, batched, queued, len(page.History[1].Series))
	}
	if page.Platform != "onnx" || page.History[0].SHA256 == "" || page.Accuracy != nil {
		t.Errorf("model page: platform %q, sha %q, accuracy %v", page.Platform, page.History[0].SHA256, page.Accuracy)
	}
}

func TestPipelinePage(t *testing.T) {
	in := start(t, examples(t), server.ConsoleAuto)
	for range 3 {
		if code := do(t, http.MethodPost, in.URL+"/v2/models/digits-ensemble/infer", digitsInput(1), nil); code != http.StatusOK {
			t.Fatalf("infer: %d", code)
		}
	}
	var p console.PipelinePage
	if code := get(t, in.URL+"/ui/api/pipelines/digits-ensemble", &p); code != http.StatusOK {
		t.Fatalf("pipeline page: %d", code)
	}
	if len(p.Versions) != 1 || p.Versions[0].Graph == nil {
		t.Fatalf("pipeline page: %+v", p)
	}
	g := p.Versions[0].Graph
	if len(g.Steps) != 5 || len(g.Inputs) != 1 || len(g.Outputs) != 2 {
		t.Errorf("graph: %d steps, %d inputs, %d outputs; want 5, 1, 2", len(g.Steps), len(g.Inputs), len(g.Outputs))
	}
	for _, s := range g.Steps {
		if st := p.Versions[0].Steps[s.Name]; st.Requests != 3 || st.P50 <= 0 {
			t.Errorf("step %s: %+v, want 3 runs with a p50", s.Name, st)
		}
	}
	if s := g.Steps[len(g.Steps)-1]; s.Name != "label" || s.Op != "labels" || s.Inputs[0].Step != "best" {
		t.Errorf("last step %+v, want label (op labels) reading best", s)
	}
}

func TestErrors(t *testing.T) {
	in := start(t, examples(t), server.ConsoleAuto)
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/ui/api/models/nope", http.StatusNotFound},
		{"/ui/api/pipelines/nope", http.StatusNotFound},
		{"/ui/api/pipelines/digits", http.StatusBadRequest},
		{"/ui/api/nothing", http.StatusNotFound},
		{"/ui/", http.StatusOK},
		{"/ui/app.js", http.StatusOK},
	} {
		if got := get(t, in.URL+tc.path, nil); got != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.path, got, tc.want)
		}
	}
	if got := do(t, http.MethodPost, in.URL+"/ui/api/overview", "", nil); got != http.StatusMethodNotAllowed {
		t.Errorf("POST overview: %d, want 405", got)
	}
}

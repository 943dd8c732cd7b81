package server_test

import (
	"strings"
	"testing"

	"github.com/inferd/inferd/server/servertest"
)

// The server over an in-memory repository and the fake engine: the
// wiring, routing and protocols do not need a real model where the
// numbers do not matter.
func TestServerOverMemoryRepository(t *testing.T) {
	s := servertest.StartSource(t, servertest.FakeRepository())

	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"listing", "GET", "/models", "", 200, `"versions":[{"version":"1","state":"AVAILABLE"},{"version":"2","state":"AVAILABLE"}]`},
		{"seed JSON on the default version", "POST", "/models/m", `{"inputs": {"x": [[1, 2]]}}`, 200, `"outputs":{"y":[[3,6]]}`},
		{"seed JSON by label", "POST", "/models/m/stable", `{"inputs": {"x": [[1, 2]]}}`, 200, `"outputs":{"y":[[2,4]]}`},
		{"v2 REST", "POST", "/v2/models/m/versions/1/infer", `{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}`, 200, `"data":[2,4]`},
		{"TF Serving", "POST", "/v1/models/m/versions/2:predict", `{"instances": [[1, 2]]}`, 200, `{"predictions":[[3,6]]}`},
		{"bad input", "POST", "/models/m", `{"inputs": {"x": [[1, 2, 3]]}}`, 400, `input \"x\" has shape [1 3], model expects [-1 2]`},
		{"move the label", "PUT", "/models/m/labels/stable", `{"version": 2}`, 200, `"version":"2"`},
		{"the label follows", "POST", "/models/m/stable", `{"inputs": {"x": [[1, 2]]}}`, 200, `"outputs":{"y":[[3,6]]}`},
	}
	for _, tt := range tests {
		r := do(t, tt.method, s.URL+tt.path, "application/json", []byte(tt.body))
		if r.code != tt.code || !strings.Contains(string(r.body), tt.want) {
			t.Errorf("%s: %s %s = %d %s, want %d with %s", tt.name, tt.method, tt.path, r.code, r.body, tt.code, tt.want)
		}
	}
}

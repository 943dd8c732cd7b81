package server_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
)

// TestFallbackAnswers: what ServeMux answers itself (no route, no method,
// a path to clean, a request for "*") comes out as the JSON errors and
// redirects the server has always written, and routes answer as routes.
func TestFallbackAnswers(t *testing.T) {
	in := servertest.StartSource(t, servertest.FakeRepository())
	h := server.New(in.Models, server.WithLogger(slog.New(slog.DiscardHandler))).Handler()
	tests := []struct {
		method, target string
		code           int
		header         map[string]string
		body           string // a part of the body
	}{
		{"GET", "/nothing", 404, map[string]string{"Content-Type": "application/json"}, `no route for GET /nothing`},
		{"GET", "/v2/nothing", 404, map[string]string{"Content-Type": "application/json"}, `no route for GET /v2/nothing`},
		{"DELETE", "/models", 405, map[string]string{"Allow": "GET, HEAD", "Content-Type": "application/json"}, `method DELETE is not allowed on /models (allowed: GET, HEAD)`},
		{"GET", "/models/../healthz", 307, map[string]string{"Location": "/healthz"}, `Temporary Redirect`},
		{"GET", "//models", 307, map[string]string{"Location": "/models"}, `Temporary Redirect`},
		{"GET", "*", 307, map[string]string{"Location": "/%2A"}, `Temporary Redirect`},
		{"GET", "/healthz", 200, map[string]string{"Content-Type": "application/json"}, `ok`},
		{"GET", "/models/m", 200, map[string]string{"Content-Type": "application/json"}, `"name":"m"`},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/", nil)
		r.RequestURI = tt.target
		r.URL.Path = tt.target
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("%s %s: %d %q, want %d with %q", tt.method, tt.target, w.Code, w.Body, tt.code, tt.body)
		}
		for k, v := range tt.header {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s: header %s %q, want %q", tt.method, tt.target, k, got, v)
			}
		}
	}
}

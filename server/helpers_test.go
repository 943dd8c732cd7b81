package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
)

// instance is a real server on an ephemeral loopback port.
type instance struct {
	url    string
	models *serving.Manager
}

// start loads repo and serves it on 127.0.0.1:0 until the test ends.
func start(t *testing.T, repo string, opts ...server.Option) *instance {
	t.Helper()
	in := servertest.Start(t, repo, opts...)
	return &instance{url: in.URL, models: in.Models}
}

// reply is a decoded answer.
type reply struct {
	code   int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer is not JSON (%v): %s", err, r.body)
	}
}

func do(t *testing.T, method, url, contentType string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{code: resp.StatusCode, header: resp.Header, body: b}
}

func get(t *testing.T, url string) reply { return do(t, http.MethodGet, url, "", nil) }

func sample(t *testing.T, name string) []byte {
	return testutil.ReadFile(t, filepath.Join(testutil.DigitsDir(), "images", name))
}

// copyDir copies a directory tree (small test repositories).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

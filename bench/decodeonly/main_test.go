package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	png, err := os.ReadFile(filepath.Join("..", "..", "examples", "digits", "images", "7_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method string
		body         []byte
		status       int
		want         string
	}{
		{"png", http.MethodPost, png, 200, `{"width": 64, "height": 64}`},
		{"not a png", http.MethodPost, []byte("hello"), 400, `"not a PNG: image: unknown format"`},
		{"truncated png", http.MethodPost, png[:100], 400, `"not a PNG: png: invalid format: not enough pixel data"`},
		{"get", http.MethodGet, nil, 405, `method GET`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			decode(rec, httptest.NewRequest(tc.method, "/models/digits", bytes.NewReader(tc.body)))
			body := rec.Body.String()
			if rec.Code != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s, want %d with %s", rec.Code, body, tc.status, tc.want)
			}
			if !json.Valid([]byte(body)) {
				t.Errorf("answer is not JSON: %s", body)
			}
		})
	}
}

// serve listens, answers, and returns nil once its context is done.
func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, addr) }()
	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Post("http://"+addr+"/", "image/png", strings.NewReader("x")); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

package server_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
)

// Small budgets keep the attacks of the tests small: 12 MiB per request,
// 16 MiB in flight.
const (
	testPerRequest = 12 << 20
	testInflight   = 16 << 20
)

func startBudgeted(t *testing.T) *servertest.Instance {
	t.Helper()
	return servertest.Start(t, testutil.ExamplesCopy(t), server.WithMemoryBudget(testPerRequest, testInflight))
}

// encodePNG encodes a gray image of w x h pixels.
func encodePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zerosJSON is a flat JSON array of n zeros.
func zerosJSON(n int) string { return "[" + strings.Repeat("0,", n-1) + "0]" }

// manyPNGs is a multipart body of n one-pixel PNGs.
func manyPNGs(t *testing.T, n int) (body []byte, contentType string) {
	t.Helper()
	one := encodePNG(t, 1, 1)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := range n {
		w, err := mw.CreateFormFile("image", fmt.Sprintf("%d.png", i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(one)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// TestMemoryBudgetRefusesAttacks sends the memory attacks, scaled
// to small budgets: each is refused with 413 before its memory is
// allocated, and the server keeps serving.
func TestMemoryBudgetRefusesAttacks(t *testing.T) {
	in := startBudgeted(t)
	v2URL := in.URL + "/v2/models/digits/infer"
	multi, multiType := manyPNGs(t, 1001)
	tests := []struct {
		name, url, contentType string
		body                   string
		want                   string
	}{
		{"v2 JSON shape bomb", v2URL, "application/json",
			`{"inputs":[{"name":"input","shape":[20000,1,8,8],"datatype":"FP32","data":` + zerosJSON(20000*64) + `}]}`,
			`input "input" (FP32 [20000 1 8 8]) needs about`},
		{"v2 declared shape beyond the data", v2URL, "application/json",
			`{"inputs":[{"name":"input","shape":[1000000,1,8,8],"datatype":"FP32","data":[0]}]}`,
			`input "input" (FP32 [1000000 1 8 8])`},
		{"v2 JSON data beyond the declared shape", v2URL, "application/json",
			`{"inputs":[{"name":"input","shape":[1,1,8,8],"datatype":"FP32","data":` + zerosJSON(200000) + `}]}`,
			`input "input" (FP32 [1 1 8 8])`},
		{"seed JSON zeros", in.URL + "/models/digits", "application/json",
			`{"inputs":{"input":` + zerosJSON(200000) + `}}`, `input "input" (200000 JSON values)`},
		{"TF Serving instances", in.URL + "/v1/models/digits:predict", "application/json",
			`{"instances":` + zerosJSON(200000) + `}`, `input "input" (200000 JSON values)`},
		{"many PNGs", in.URL + "/models/digits", multiType, string(multi), "more than 1000 parts"},
		{"big PNG", in.URL + "/models/digits", "image/png", string(encodePNG(t, 1000, 1000)), "(1000x1000 pixels) needs about"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, http.MethodPost, tt.url, tt.contentType, []byte(tt.body))
			var e struct{ Error string }
			r.json(t, &e)
			if r.code != http.StatusRequestEntityTooLarge || !strings.Contains(e.Error, tt.want) {
				t.Fatalf("answer %d %s, want 413 containing %q", r.code, r.body, tt.want)
			}
			if tt.want != "more than 1000 parts" && !strings.Contains(e.Error, "per-request memory limit of 12.0 MiB") {
				t.Fatalf("answer %s does not name the limit", r.body)
			}
		})
	}
	t.Run("gRPC raw message", func(t *testing.T) {
		n := 20000 // 5 MB of raw data: the message twice and the tensor pass 12 MiB
		req := &v2.ModelInferRequest{ModelName: "digits",
			Inputs:           []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{int64(n), 1, 8, 8}}},
			RawInputContents: [][]byte{make([]byte, n*256)}}
		_, err := grpcClient(t, in.GRPCAddr).ModelInfer(context.Background(), req)
		if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "per-request memory limit") {
			t.Fatalf("ModelInfer error = %v, want ResourceExhausted naming the per-request limit", err)
		}
	})
	checkServes(t, in)
}

// checkServes asserts that the server answers a digit over HTTP and gRPC.
func checkServes(t *testing.T, in *servertest.Instance) {
	t.Helper()
	if r := do(t, http.MethodPost, in.URL+"/models/digits", "image/png", sample(t, "0_0.png")); r.code != http.StatusOK {
		t.Fatalf("after the attacks, predict answered %d %s", r.code, r.body)
	}
	req := &v2.ModelInferRequest{ModelName: "digits",
		Inputs:           []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{1, 1, 8, 8}}},
		RawInputContents: [][]byte{make([]byte, 256)}}
	if _, err := grpcClient(t, in.GRPCAddr).ModelInfer(context.Background(), req); err != nil {
		t.Fatalf("after the attacks, ModelInfer: %v", err)
	}
}

// holdBudget starts a request that declares a body of n bytes and sends
// one byte of it, so that the server holds n bytes of its in-flight budget
// until the returned function ends the request. It returns once the server
// holds them: the request expects 100-continue, which the server sends
// when it starts reading the body, after reserving it, and only then does
// the client take the first byte.
var holdEnded atomic.Value // why the last held request ended, for failures

func holdBudget(t *testing.T, url string, n int64) (end func()) {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", "image/png")
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			holdEnded.Store(fmt.Sprintf("the held request ended early: %d %s", resp.StatusCode, b))
		} else {
			holdEnded.Store("the held request ended early: " + err.Error())
		}
	}()
	wrote := make(chan error, 1)
	go func() {
		_, err := pw.Write([]byte{0x89}) // the first byte of a PNG
		wrote <- err
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatalf("holding the budget: %v", err)
		}
	case <-done:
		t.Fatalf("holding the budget: %v", holdEnded.Load())
	}
	var once sync.Once
	end = func() {
		once.Do(func() {
			pw.CloseWithError(io.ErrUnexpectedEOF)
			<-done
		})
	}
	t.Cleanup(end)
	return end
}

// TestMemoryBudgetInFlight fills the server's budget of bytes in flight
// with a slow request: a big image that fits the per-request budget is
// then refused with 429 at once over HTTP, and so is a gRPC call
// (RESOURCE_EXHAUSTED), and both are served once the slow request ends.
func TestMemoryBudgetInFlight(t *testing.T) {
	in := startBudgeted(t)
	end := holdBudget(t, in.URL+"/models/digits", 10<<20)
	img := encodePNG(t, 800, 800) // about 8 MiB to decode: fits 12, not the 6 left
	grpcReq := &v2.ModelInferRequest{ModelName: "digits",
		Inputs:           []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{8192, 1, 8, 8}}},
		RawInputContents: [][]byte{make([]byte, 8192*256)}} // 2 MiB: 6 MiB with its copies
	client := grpcClient(t, in.GRPCAddr)
	r := postUntil(t, in.URL+"/models/digits", img, http.StatusTooManyRequests)
	if !strings.Contains(string(r.body), "memory budget for requests in flight") {
		t.Fatalf("while the budget is held, a big image got %d %s, want 429", r.code, r.body)
	}
	start := time.Now()
	_, err := client.ModelInfer(context.Background(), grpcReq)
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "server busy") {
		t.Fatalf("while the budget is held, ModelInfer error = %v, want ResourceExhausted", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the refusal took %v: it waited", d)
	}
	end()
	postUntil(t, in.URL+"/models/digits", img, http.StatusOK) // the server notices the end soon after
	if _, err := client.ModelInfer(context.Background(), grpcReq); err != nil {
		t.Fatalf("after the slow request ended, ModelInfer: %v", err)
	}
}

// TestMemoryBudgetConcurrentImages sends big images at once: each is
// served or refused with 429, none waits for the budget, and once they
// are done the whole budget is free again.
func TestMemoryBudgetConcurrentImages(t *testing.T) {
	in := startBudgeted(t)
	img := encodePNG(t, 800, 800)
	codes := make([]int, 8)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			resp, err := http.Post(in.URL+"/models/digits", "image/png", bytes.NewReader(img))
			if err != nil {
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK && c != http.StatusTooManyRequests {
			t.Errorf("request %d answered %d, want 200 or 429", i, c)
		}
	}
	// The budget is free again.
	postUntil(t, in.URL+"/models/digits", img, http.StatusOK)
	checkServes(t, in)
}

// postUntil posts a PNG until it is answered with want, for up to 5s.
func postUntil(t *testing.T, url string, img []byte, want int) reply {
	t.Helper()
	var r reply
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if r = do(t, http.MethodPost, url, "image/png", img); r.code == want {
			return r
		}
	}
	t.Fatalf("answer %d %s, want %d (%v)", r.code, r.body, want, holdEnded.Load())
	return r
}

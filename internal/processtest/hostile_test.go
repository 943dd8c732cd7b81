package processtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/tensor"
)

// The budgets memlimit.Derive gives a 2 GiB container: half of it in
// flight, a quarter of that per request. Peak RSS must stay under
// containerLimit.
const (
	containerLimit = 2 << 30
	inflightBudget = containerLimit / 2
	requestBudget  = inflightBudget / 4
)

// attack is one hostile request; ok lists the HTTP statuses (or, for
// gRPC, 200 for success and the HTTP status of its error code) that count
// as the server holding.
type attack struct {
	name string
	send func(ctx context.Context, s *server) (status int, err error)
	ok   []int
}

func corpus() []attack {
	return []attack{
		// 31 MiB of JSON zeros declaring 250,045 digits: 1.8 GB as decoded values.
		{"v2 JSON, 31 MiB of zeros", func(ctx context.Context, s *server) (int, error) {
			return s.post(ctx, "/v2/models/digits/infer", "application/json", jsonZeros(250045))
		}, []int{413, 429}},
		// The binary extension: 64 MiB of FP32 digits, within the per-request budget after the body.
		{"v2 binary, 64 MiB", func(ctx context.Context, s *server) (int, error) {
			return s.post(ctx, "/v2/models/digits-mlp/infer", "application/octet-stream", nil, binaryRequest(64<<20-1024)...)
		}, []int{200, 413, 429}},
		// A raw gRPC message just under the 64 MiB limit: 262,000 digits run through the CNN.
		{"gRPC raw contents, 64 MiB", func(ctx context.Context, s *server) (int, error) {
			return s.grpcInfer(ctx, "digits", 262000)
		}, []int{200, 413, 429}},
		// 5000 one-pixel PNGs in one multipart body: cut at part 1001.
		{"multipart of 5000 images", func(ctx context.Context, s *server) (int, error) {
			body, ctype := multipartPNGs(5000, tinyPNG())
			return s.post(ctx, "/models/digits/1", ctype, body)
		}, []int{400, 413}},
		// A PNG whose header claims 5000×5000 pixels.
		{"5000x5000 PNG bomb", func(ctx context.Context, s *server) (int, error) {
			body, ctype := multipartPNGs(1, testutil.PNGBomb(5000, 5000))
			return s.post(ctx, "/models/digits-mlp/1", ctype, body)
		}, []int{400, 413, 429}},
	}
}

func TestHostileCorpusConcurrently(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server: not in -short")
	}
	s := start(t, "--shutdown-delay", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const rounds = 2
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := []string{}
	for _, a := range corpus() {
		for range rounds {
			wg.Go(func() {
				status, err := a.send(ctx, s)
				mu.Lock()
				defer mu.Unlock()
				t.Logf("%s: status %d, err %v", a.name, status, err)
				if err != nil {
					failures = append(failures, fmt.Sprintf("%s: %v", a.name, err))
				} else if !contains(a.ok, status) {
					failures = append(failures, fmt.Sprintf("%s: status %d, want one of %v", a.name, status, a.ok))
				}
			})
		}
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	// The server still serves a plain request.
	if status, err := s.grpcInfer(ctx, "digits", 1); err != nil || status != 200 {
		t.Fatalf("after the corpus, one digit: status %d, err %v", status, err)
	}
	peak := s.peakRSS(t)
	t.Logf("peak RSS %d MiB over %d hostile requests (%d cases × %d at once), container limit %d MiB",
		peak>>20, rounds*len(corpus()), len(corpus()), rounds, containerLimit>>20)
	if peak >= containerLimit {
		t.Fatalf("peak RSS %d MiB, over the %d MiB the budgets were derived from", peak>>20, containerLimit>>20)
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// server is a running inferd process.
type server struct {
	cmd        *exec.Cmd
	http, grpc string
	logs       *syncBuffer
	// exited is closed once the process has exited; waitErr is then what
	// Wait returned (one goroutine waits for every process).
	exited  chan struct{}
	waitErr error
}

// exit waits up to d for the process to exit and returns Wait's error.
func (s *server) exit(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-s.exited:
		return s.waitErr
	case <-time.After(d):
		t.Fatalf("server %s still running %v later", s.http, d)
		return nil
	}
}

// syncBuffer is the server's log, written by the process's output copier
// and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// start builds inferd and serves the examples with the hostile budgets
// and args, waiting until it is ready.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	return startOn(t, freeAddr(t), freeAddr(t), append([]string{"--repository", testutil.ExamplesDir(),
		"--max-inflight-memory-bytes", strconv.Itoa(inflightBudget),
		"--max-request-memory-bytes", strconv.Itoa(requestBudget)}, args...)...)
}

// startAt serves args on free ports of host, a loopback address.
func startAt(t *testing.T, host string, args ...string) *server {
	t.Helper()
	return startOn(t, freeAddrOn(t, host), freeAddrOn(t, host), args...)
}

// startOn runs inferd serve on the given HTTP and gRPC addresses with
// args, waiting until it is ready; the test's end kills it.
func startOn(t *testing.T, httpAddr, grpcAddr string, args ...string) *server {
	t.Helper()
	bin := inferdBinary(t)
	s := &server{http: httpAddr, grpc: grpcAddr}
	s.cmd = exec.Command(bin, append([]string{"serve", "--http-addr", s.http, "--grpc-addr", s.grpc}, args...)...)
	logs := &syncBuffer{}
	s.cmd.Stdout, s.cmd.Stderr = logs, logs
	s.logs = logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("server %s log:\n%s", s.http, logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + s.http + "/v2/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("server exited before it was ready:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 60 s: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var built struct {
	once sync.Once
	dir  string
	err  error
}

// inferdBinary builds inferd once for the package's tests.
func inferdBinary(t *testing.T) string {
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "inferd-processtest"); built.err != nil {
			return
		}
		build := exec.Command("go", "build", "-o", filepath.Join(built.dir, "inferd"), "./cmd/inferd")
		build.Dir = testutil.RepoRoot()
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, "inferd")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func freeAddr(t *testing.T) string { return freeAddrOn(t, "127.0.0.1") }

// freeAddrOn returns a free port of host.
func freeAddrOn(t *testing.T, host string) string {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// peakRSS reads the process's high-water resident set (VmHWM).
func (s *server) peakRSS(t *testing.T) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// post sends body (or, when body is nil, the concatenation of parts) and
// returns the status, draining the answer.
func (s *server) post(ctx context.Context, path, ctype string, body []byte, parts ...[]byte) (int, error) {
	var r io.Reader = bytes.NewReader(body)
	if body == nil {
		rs := make([]io.Reader, len(parts))
		for i, p := range parts {
			rs[i] = bytes.NewReader(p)
		}
		r = io.MultiReader(rs...)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.http+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ctype)
	if body == nil {
		req.ContentLength = 0
		for _, p := range parts {
			req.ContentLength += int64(len(p))
		}
		req.Header.Set("Inferd-Header-Content-Length", strconv.Itoa(len(parts[0])))
	}
	return s.roundTrip(ctx, req)
}

// roundTrip sends req on a connection of its own and reads the answer
// while the body is still being written. A server that refuses a body
// midway answers and stops reading; net/http's client may then report its
// write error (a broken pipe) instead of the answer, as real clients that
// read while writing do not.
func (s *server) roundTrip(ctx context.Context, req *http.Request) (int, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.http)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	written := make(chan error, 1)
	go func() { written <- req.Write(conn) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		if werr := <-written; werr != nil {
			return 0, fmt.Errorf("no answer (%w) after writing failed: %w", err, werr)
		}
		return 0, fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

// grpcInfer sends rows digits of zeros as raw contents over gRPC.
func (s *server) grpcInfer(ctx context.Context, model string, rows int) (int, error) {
	c, err := client.NewGRPC(s.grpc)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_, err = c.Infer(ctx, &client.InferRequest{Model: model, Binary: true,
		Inputs: []client.Input{{Name: "input", Tensor: tensor.New(tensor.Float32, rows, 1, 8, 8)}}})
	return grpcStatus(err)
}

// grpcStatus maps a gRPC answer to the HTTP status of the same meaning.
func grpcStatus(err error) (int, error) {
	var e *client.Error
	switch {
	case err == nil:
		return 200, nil
	case !errors.As(err, &e):
		return 0, err
	case e.Code == codes.InvalidArgument:
		return 400, nil
	case e.Code == codes.ResourceExhausted:
		return 429, nil
	}
	return 0, err
}

// jsonZeros is a v2 JSON request of rows digits, all zeros.
func jsonZeros(rows int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"inputs":[{"name":"input","datatype":"FP32","shape":[%d,1,8,8],"data":[`, rows)
	b.WriteString("0")
	b.WriteString(strings.Repeat(",0", rows*64-1))
	b.WriteString("]}]}")
	return b.Bytes()
}

// binaryRequest is a v2 binary-extension request: its JSON header, then
// size bytes of FP32 digits (rounded down to whole digits).
func binaryRequest(size int) [][]byte {
	rows := size / (64 * 4)
	hdr := fmt.Appendf(nil, `{"inputs":[{"name":"input","datatype":"FP32","shape":[%d,1,8,8],"parameters":{"binary_data_size":%d}}]}`, rows, rows*64*4)
	data := make([]byte, rows*64*4)
	for i := 0; i < len(data); i += 4 {
		binary.LittleEndian.PutUint32(data[i:], math.Float32bits(0.5))
	}
	return [][]byte{hdr, data}
}

func tinyPNG() []byte { return testutil.PNGBomb(1, 1) }

// multipartPNGs is a multipart body of n copies of img under "images".
func multipartPNGs(n int, img []byte) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for i := range n {
		p, _ := w.CreateFormFile("images", fmt.Sprintf("%d.png", i))
		p.Write(img)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

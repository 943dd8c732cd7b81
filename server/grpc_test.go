package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// grpcurl runs github.com/fullstorydev/grpcurl, a tool dependency in
// go.mod, against addr with server reflection (no .proto files).
func grpcurl(t *testing.T, addr string) func(data string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // the first run builds it
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "tool", "grpcurl", "-version").CombinedOutput(); err != nil {
		t.Skipf("go tool grpcurl cannot run (is the module cache complete? try go mod download): %v\n%s", err, out)
	}
	// The built tool, run directly: faster than go tool for every call.
	bin := []string{"go", "tool", "grpcurl"}
	if out, err := exec.CommandContext(ctx, "go", "tool", "-n", "grpcurl").Output(); err == nil {
		if path := strings.TrimSpace(string(out)); exec.CommandContext(ctx, path, "-version").Run() == nil {
			bin = []string{path}
		}
	}
	return func(data string, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		argv := append(bin[1:len(bin):len(bin)], "-plaintext", "-max-msg-sz", "67108864")
		if data != "" {
			argv = append(argv, "-d", "@")
		}
		argv = append(append(argv, addr), args...)
		cmd := exec.CommandContext(ctx, bin[0], argv...)
		cmd.Stdin = strings.NewReader(data)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return string(out) + stderr.String(), err
		}
		return string(out), nil
	}
}

// grpcurl, knowing nothing but the address, finds the services by
// reflection and calls them; its numbers are the REST numbers.
func TestGRPCurl(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	call := grpcurl(t, s.GRPCAddr)
	mustCall := func(data string, args ...string) string {
		t.Helper()
		out, err := call(data, args...)
		if err != nil {
			t.Fatalf("grpcurl %v: %v\n%s", args, err, out)
		}
		return out
	}
	checkGRPCurlReflection(t, mustCall)

	const n = 2
	x, _, _ := digitsBatch(t, n)
	body := fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 1, 8, 8], "datatype": "FP32", "data": %s}]}`, n, tensor.AppendJSON(nil, x))
	_, outs := v2Outputs(t, do(t, http.MethodPost, s.URL+"/v2/models/digits/infer", "application/json", []byte(body)))
	want := outs["logits"]
	checkGRPCurlTyped(t, mustCall, x, want)
	checkGRPCurlRaw(t, mustCall, x, want)

	out, err := call(`{"model_name": "cats", "inputs": [{"name": "input", "datatype": "FP32", "shape": [1]}]}`, "inference.GRPCInferenceService/ModelInfer")
	if err == nil || !strings.Contains(out, "NotFound") || !strings.Contains(out, `model "cats"`) {
		t.Errorf("unknown model: %v\n%s", err, out)
	}
}

// grpcurlAnswer is grpcurl's JSON of a ModelInferResponse with one FP32
// output.
type grpcurlAnswer struct {
	ID      string `json:"id"`
	Outputs []struct {
		Name     string
		Datatype string
		Shape    []string
		Contents struct {
			Fp32Contents []float32
		}
	}
	RawOutputContents [][]byte
}

// checkGRPCurlReflection checks that grpcurl lists and describes the
// services by reflection and calls ServerMetadata and health.
func checkGRPCurlReflection(t *testing.T, mustCall func(data string, args ...string) string) {
	t.Helper()
	list := mustCall("", "list")
	for _, svc := range []string{"inference.GRPCInferenceService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if !strings.Contains(list, svc) {
			t.Errorf("grpcurl list lacks %s:\n%s", svc, list)
		}
	}
	if out := mustCall("", "describe", "inference.GRPCInferenceService"); !strings.Contains(out, "rpc ModelInfer ( .inference.ModelInferRequest ) returns ( .inference.ModelInferResponse );") {
		t.Errorf("describe:\n%s", out)
	}
	if out := mustCall("", "inference.GRPCInferenceService/ServerMetadata"); !strings.Contains(out, `"name": "inferd"`) || !strings.Contains(out, `"binary_tensor_data"`) {
		t.Errorf("ServerMetadata:\n%s", out)
	}
	if out := mustCall("", "grpc.health.v1.Health/Check"); !strings.Contains(out, `"status": "SERVING"`) {
		t.Errorf("health:\n%s", out)
	}
}

// checkGRPCurlTyped infers x with typed contents through grpcurl; the
// answer is want.
func checkGRPCurlTyped(t *testing.T, mustCall func(data string, args ...string) string, x, want *tensor.Tensor) {
	t.Helper()
	n := x.Shape()[0]
	typed := fmt.Sprintf(`{"model_name": "digits", "model_version": "1", "id": "curl", "inputs": [{"name": "input", "datatype": "FP32", "shape": [%d, 1, 8, 8], "contents": {"fp32_contents": %s}}]}`,
		n, tensor.AppendJSON(nil, tensor.MustFromSlice(tensor.Data[float32](x), x.Len())))
	var ans grpcurlAnswer
	if err := json.Unmarshal([]byte(mustCall(typed, "inference.GRPCInferenceService/ModelInfer")), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.ID != "curl" || len(ans.Outputs) != 1 || ans.Outputs[0].Datatype != "FP32" || strings.Join(ans.Outputs[0].Shape, ",") != "2,10" {
		t.Fatalf("typed answer %+v", ans)
	}
	sameTensor(t, "grpcurl typed", tensor.MustFromSlice(ans.Outputs[0].Contents.Fp32Contents, n, 10), want)
}

// checkGRPCurlRaw infers x with raw_input_contents through grpcurl; the
// raw answer is want.
func checkGRPCurlRaw(t *testing.T, mustCall func(data string, args ...string) string, x, want *tensor.Tensor) {
	t.Helper()
	n := x.Shape()[0]
	raw := fmt.Sprintf(`{"model_name": "digits", "inputs": [{"name": "input", "datatype": "FP32", "shape": [%d, 1, 8, 8]}], "raw_input_contents": [%q]}`,
		n, base64.StdEncoding.EncodeToString(v2.AppendRaw(nil, x)))
	var ans grpcurlAnswer
	if err := json.Unmarshal([]byte(mustCall(raw, "inference.GRPCInferenceService/ModelInfer")), &ans); err != nil {
		t.Fatal(err)
	}
	if len(ans.RawOutputContents) != 1 {
		t.Fatalf("raw answer %+v", ans)
	}
	got, err := v2.DecodeRaw(tensor.Float32, []int{n, 10}, ans.RawOutputContents[0])
	if err != nil {
		t.Fatal(err)
	}
	sameTensor(t, "grpcurl raw", got, want)
}

// Shutdown with gRPC: not serving at once (health), new connections
// refused, calls in flight finish, health Watch streams end instead of
// holding the drain to its deadline.
func TestGRPCGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	block := holdModelInfer(started, release)
	srv, models, httpLn, grpcLn := newServer(t, server.WithGRPCServerOptions(grpc.ChainUnaryInterceptor(block)), server.WithDrainTimeout(20*time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListeners(ctx, httpLn, grpcLn) }()
	defer models.Close()

	conn := grpcConn(t, grpcLn.Addr().String())
	watch, err := healthpb.NewHealthClient(conn).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := watch.Recv(); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health watch: %v, %v", r, err)
	}
	result := inferInBackground(t, conn)
	<-started
	cancel() // shutdown begins with a call in flight
	// The watcher learns at once: NOT_SERVING, then the stream ends.
	checkNotServingUntilEnd(t, watch)
	checkStillRunning(t, done, "ServeListeners returned with a call in flight")
	checkRefused(t, grpcLn.Addr().String(), "a new gRPC connection was accepted during shutdown")
	close(release)
	if err := <-result; err != nil {
		t.Errorf("call in flight: %v", err)
	}
	checkReturns(t, done, "ServeListeners", "ServeListeners did not return after the call finished")
}

// holdModelInfer is an interceptor that holds the first ModelInfer call,
// and any later one, until release is closed (or the call is cancelled);
// it closes started when the first arrives.
func holdModelInfer(started, release chan struct{}) grpc.UnaryServerInterceptor {
	var once sync.Once
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == "/inference.GRPCInferenceService/ModelInfer" {
			once.Do(func() { close(started) })
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return h(ctx, req)
	}
}

// inferInBackground makes a ModelInfer call of one digit on conn in a
// goroutine; its outcome arrives on the channel.
func inferInBackground(t *testing.T, conn *grpc.ClientConn) <-chan error {
	t.Helper()
	x, _, _ := digitsBatch(t, 1)
	contents, _ := v2.ContentsOf(x)
	result := make(chan error, 1)
	go func() {
		r, err := v2.NewGRPCInferenceServiceClient(conn).ModelInfer(context.Background(), &v2.ModelInferRequest{ModelName: "digits",
			Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{1, 1, 8, 8}, Contents: contents}}})
		if err == nil && len(r.GetOutputs()[0].GetContents().GetFp32Contents()) != 10 {
			err = fmt.Errorf("answer %v", r)
		}
		result <- err
	}()
	return result
}

// checkNotServingUntilEnd reads a health watch until its stream ends;
// every status it sends must be NOT_SERVING.
func checkNotServingUntilEnd(t *testing.T, watch grpc.ServerStreamingClient[healthpb.HealthCheckResponse]) {
	t.Helper()
	for {
		r, err := watch.Recv()
		if err != nil {
			break
		}
		if r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("health during shutdown: %v", r.GetStatus())
		}
	}
}

// Calls still running at the drain deadline are cancelled and reported.
func TestGRPCDrainTimeout(t *testing.T) {
	started := make(chan struct{})
	var once sync.Once
	block := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if info.FullMethod == "/inference.GRPCInferenceService/ServerLive" {
			once.Do(func() { close(started) })
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return h(ctx, req)
	}
	srv, models, httpLn, grpcLn := newServer(t, server.WithGRPCServerOptions(grpc.ChainUnaryInterceptor(block)), server.WithDrainTimeout(100*time.Millisecond))
	defer models.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListeners(ctx, httpLn, grpcLn) }()
	result := make(chan error, 1)
	go func() {
		_, err := v2.NewGRPCInferenceServiceClient(grpcConn(t, grpcLn.Addr().String())).ServerLive(context.Background(), &v2.ServerLiveRequest{})
		result <- err
	}()
	<-started
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "draining gRPC calls: calls still running after the drain timeout were cancelled") {
		t.Errorf("ServeListeners = %v", err)
	}
	if err := <-result; err == nil {
		t.Error("the stuck call succeeded")
	}
}

// newServer is a server on loopback listeners for the shutdown tests.
func newServer(t *testing.T, opts ...server.Option) (*server.Server, *serving.Manager, net.Listener, net.Listener) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	models := serving.New(serving.WithLogger(log))
	if err := models.LoadRepository(context.Background(), testutil.ExamplesDir()); err != nil {
		t.Fatal(err)
	}
	srv := server.New(models, append([]server.Option{server.WithLogger(log)}, opts...)...)
	var lns [2]net.Listener
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
	}
	return srv, models, lns[0], lns[1]
}

// Every protocol lands in the same metrics, told apart by the protocol
// label; gRPC calls count the HTTP status of their outcome.
func TestProtocolMetrics(t *testing.T) {
	s := servertest.Start(t, testutil.ExamplesCopy(t))
	x, _, _ := digitsBatch(t, 1)
	body := fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [1, 1, 8, 8], "datatype": "FP32", "data": %s}]}`, tensor.AppendJSON(nil, x))
	do(t, http.MethodPost, s.URL+"/v2/models/digits/infer", "application/json", []byte(body))
	do(t, http.MethodPost, s.URL+"/v2/models/digits/versions/1/infer", "application/json", []byte(`{}`))
	get(t, s.URL+"/v2/nope")
	get(t, s.URL+"/v1/models/digits-mlp")
	g := grpcClient(t, s.GRPCAddr)
	contents, _ := v2.ContentsOf(x)
	g.ModelInfer(context.Background(), &v2.ModelInferRequest{ModelName: "digits", ModelVersion: "1",
		Inputs: []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{1, 1, 8, 8}, Contents: contents}}})
	g.ModelInfer(context.Background(), &v2.ModelInferRequest{ModelName: "nope"})
	r := get(t, s.URL+"/metrics")
	for _, want := range []string{
		`inferd_http_requests_total{code="200",model="digits",protocol="v2",route="/v2/models/{name}/infer",version="1"} 1`,
		`inferd_http_requests_total{code="400",model="digits",protocol="v2",route="/v2/models/{name}/versions/{version}/infer",version="1"} 1`,
		`inferd_http_requests_total{code="404",model="",protocol="v2",route="",version=""} 1`,
		`inferd_http_requests_total{code="200",model="digits-mlp",protocol="tfserving",route="/v1/models/{name}",version=""} 1`,
		`inferd_http_requests_total{code="200",model="digits",protocol="v2-grpc",route="/inference.GRPCInferenceService/ModelInfer",version="1"} 1`,
		`inferd_http_requests_total{code="404",model="",protocol="v2-grpc",route="/inference.GRPCInferenceService/ModelInfer",version=""} 1`,
		`inferd_http_request_duration_seconds_count{code="200",model="digits",protocol="v2-grpc",route="/inference.GRPCInferenceService/ModelInfer",version="1"} 1`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

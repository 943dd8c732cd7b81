package server_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server/servertest"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// brokenRepo has the fixtures, a FAILED version 2 of digits, and a model
// "broken" whose only version failed, so the server is not ready under
// the readiness policy "all".
func brokenRepo(t *testing.T) string {
	repo := repoWithFixtures(t)
	for _, dir := range []string{"digits/2", "broken/1"} {
		os.MkdirAll(filepath.Join(repo, dir), 0o755)
		os.WriteFile(filepath.Join(repo, dir, "model.onnx"), []byte("not ONNX"), 0o644)
	}
	os.WriteFile(filepath.Join(repo, "broken", "config.yaml"), []byte("description: broken\n"), 0o644)
	return repo
}

func TestV2Endpoints(t *testing.T) {
	s := servertest.StartConfig(t, app.Config{RepositoryDir: brokenRepo(t),
		Serving: []serving.Option{serving.WithReadiness(serving.Readiness{Mode: serving.ReadyAll})}})
	var md v2.ServerMetadata
	get(t, s.URL+"/v2").json(t, &md)
	if md.Name != "inferd" || md.Version != "test" || !slices.Equal(md.Extensions, []string{"binary_tensor_data", "classification"}) {
		t.Errorf("GET /v2 = %+v", md)
	}
	checkGets(t, s.URL, []getCase{
		{"/v2/health/live", 200, `{"live":true}`},
		{"/v2/health/ready", 503, `not ready: no AVAILABLE version of: broken`},
		{"/v2/models/digits", 200, `{"name":"digits","versions":["1"],"platform":"onnx_onnxv1","inputs":[{"name":"input","datatype":"FP32","shape":[-1,1,8,8]}],"outputs":[{"name":"logits","datatype":"FP32","shape":[-1,10]}]}`},
		{"/v2/models/digits/versions/1", 200, `"versions":["1"]`},
		{"/v2/models/digits/versions/production", 200, `"name":"digits"`},
		{"/v2/models/regress", 200, `"inputs":[{"name":"x","datatype":"FP32","shape":[-1,3]}]`},
		{"/v2/models/digits/versions/2", 503, `model \"digits\" version 2 is FAILED: loading`},
		{"/v2/models/digits/versions/3", 404, `model \"digits\" has no version 3`},
		{"/v2/models/nope", 404, `not found: model \"nope\"`},
		{"/v2/models/digits/ready", 200, `{"name":"digits","ready":true}`},
		{"/v2/models/digits/versions/1/ready", 200, `{"name":"digits","ready":true}`},
		{"/v2/models/digits/versions/2/ready", 503, "is FAILED"},
		{"/v2/models/broken/ready", 503, `model \"broken\" has no AVAILABLE version`},
		{"/v2/models/nope/ready", 404, `model \"nope\"`},
		{"/v2/models", 404, "no route for GET /v2/models"},
	})
	if r := do(t, http.MethodPut, s.URL+"/v2/models/digits/infer", "", nil); r.code != 405 || !strings.Contains(string(r.body), "allowed: POST") {
		t.Errorf("PUT infer: %d %s", r.code, r.body)
	}

	g := grpcClient(t, s.GRPCAddr)
	checkGRPCServerNotReady(t, g)
	checkGRPCModelReady(t, g)
	checkGRPCModelMetadata(t, g)
	checkHealthNotServing(t, s.GRPCAddr)

	checkServerReady(t, servertest.Start(t, testutil.ExamplesCopy(t)))
}

// getCase is a GET of path and the status and body fragment it must answer.
type getCase struct {
	path string
	code int
	body string
}

// checkGets runs each GET against base in a subtest named after its path.
func checkGets(t *testing.T, base string, tests []getCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := get(t, base+tt.path)
			if r.code != tt.code || !strings.Contains(string(r.body), tt.body) {
				t.Errorf("%d %s\nwant %d with %s", r.code, r.body, tt.code, tt.body)
			}
		})
	}
}

// checkGRPCServerNotReady checks the v2 gRPC server calls of a server with
// a broken model: live, not ready, and its metadata.
func checkGRPCServerNotReady(t *testing.T, g v2.GRPCInferenceServiceClient) {
	t.Helper()
	ctx := context.Background()
	if r, err := g.ServerLive(ctx, &v2.ServerLiveRequest{}); err != nil || !r.GetLive() {
		t.Errorf("ServerLive = %v, %v", r, err)
	}
	if r, err := g.ServerReady(ctx, &v2.ServerReadyRequest{}); err != nil || r.GetReady() {
		t.Errorf("ServerReady with a broken model = %v, %v", r, err)
	}
	if r, err := g.ServerMetadata(ctx, &v2.ServerMetadataRequest{}); err != nil || r.GetName() != "inferd" || r.GetVersion() != "test" || len(r.GetExtensions()) != 2 {
		t.Errorf("ServerMetadata = %v, %v", r, err)
	}
}

// checkGRPCModelReady checks ModelReady over gRPC for the models and
// versions of brokenRepo, by name, number, label and unknown ones.
func checkGRPCModelReady(t *testing.T, g v2.GRPCInferenceServiceClient) {
	t.Helper()
	ready := []struct {
		name, version string
		ready         bool
		code          codes.Code
	}{
		{"digits", "", true, codes.OK}, {"digits", "1", true, codes.OK}, {"digits", "v1", true, codes.OK},
		{"digits", "production", true, codes.OK}, {"digits", "2", false, codes.OK}, {"broken", "", false, codes.OK},
		{"digits", "7", false, codes.NotFound}, {"nope", "", false, codes.NotFound}, {"", "", false, codes.InvalidArgument},
	}
	for _, tt := range ready {
		r, err := g.ModelReady(context.Background(), &v2.ModelReadyRequest{Name: tt.name, Version: tt.version})
		if status.Code(err) != tt.code || r.GetReady() != tt.ready {
			t.Errorf("ModelReady(%q, %q) = %v, %v; want %v, %v", tt.name, tt.version, r, err, tt.ready, tt.code)
		}
	}
}

// checkGRPCModelMetadata checks ModelMetadata over gRPC for digits and for
// its failed version 2.
func checkGRPCModelMetadata(t *testing.T, g v2.GRPCInferenceServiceClient) {
	t.Helper()
	ctx := context.Background()
	mm, err := g.ModelMetadata(ctx, &v2.ModelMetadataRequest{Name: "digits"})
	if err != nil || mm.GetPlatform() != "onnx_onnxv1" || !slices.Equal(mm.GetVersions(), []string{"1"}) ||
		len(mm.GetInputs()) != 1 || !slices.Equal(mm.GetInputs()[0].GetShape(), []int64{-1, 1, 8, 8}) || mm.GetOutputs()[0].GetDatatype() != "FP32" {
		t.Errorf("ModelMetadata = %v, %v", mm, err)
	}
	if _, err := g.ModelMetadata(ctx, &v2.ModelMetadataRequest{Name: "digits", Version: "2"}); status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "FAILED") {
		t.Errorf("ModelMetadata of a failed version: %v", err)
	}
}

// checkHealthNotServing checks gRPC health of a server with a broken
// model: NOT_SERVING overall and for the inference service, NotFound for
// an unknown service.
func checkHealthNotServing(t *testing.T, addr string) {
	t.Helper()
	ctx := context.Background()
	health := healthpb.NewHealthClient(grpcConn(t, addr))
	for _, service := range []string{"", "inference.GRPCInferenceService"} {
		if r, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: service}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("health of %q with a broken model = %v, %v", service, r, err)
		}
	}
	if _, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: "nope"}); status.Code(err) != codes.NotFound {
		t.Errorf("health of an unknown service: %v", err)
	}
}

// checkServerReady checks that a server whose models all loaded is ready
// over v2 REST, v2 gRPC and gRPC health.
func checkServerReady(t *testing.T, ok *servertest.Instance) {
	t.Helper()
	ctx := context.Background()
	if r := get(t, ok.URL+"/v2/health/ready"); r.code != 200 || string(r.body) != `{"ready":true}`+"\n" {
		t.Errorf("ready server: %d %s", r.code, r.body)
	}
	if r, err := grpcClient(t, ok.GRPCAddr).ServerReady(ctx, &v2.ServerReadyRequest{}); err != nil || !r.GetReady() {
		t.Errorf("ServerReady = %v, %v", r, err)
	}
	if r, err := healthpb.NewHealthClient(grpcConn(t, ok.GRPCAddr)).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health of a ready server = %v, %v", r, err)
	}
}

// The classification extension over REST and gRPC: the top classes of the
// configured output with the config's softmax and labels.
func TestClassificationExtension(t *testing.T) {
	s := servertest.Start(t, repoWithFixtures(t))
	const n = 3
	x, _, _ := digitsBatch(t, n)
	ref := testutil.LoadReference(t)
	body := fmt.Sprintf(`{"inputs": [{"name": "input", "shape": [%d, 1, 8, 8], "datatype": "FP32", "data": %s}], "outputs": [{"name": "logits", "parameters": {"classification": %%d}}]}`, n, tensor.AppendJSON(nil, x))
	for _, k := range []int{1, 3, 20} {
		t.Run(strconv.Itoa(k), func(t *testing.T) {
			ans, outs := v2Outputs(t, do(t, http.MethodPost, s.URL+"/v2/models/digits-mlp/infer", "application/json", []byte(fmt.Sprintf(body, k))))
			want := min(k, 10)
			cls := outs["logits"]
			if ans.Outputs[0].Datatype != "BYTES" || !equalInts(cls.Shape(), []int{n, want}) {
				t.Fatalf("classification output %v: %+v", cls, ans.Outputs[0])
			}
			rows := tensor.Data[string](cls)
			for i := range n {
				top := strings.Split(rows[i*want], ":")
				score, _ := strconv.ParseFloat(top[0], 64)
				if len(top) != 3 || top[2] != ref.Images[i].DigitsMLP.Predicted || top[1] != top[2] || score <= 0.5 || score > 1 {
					t.Errorf("image %d: top class %q, want label %s with a probability", i, rows[i*want], ref.Images[i].DigitsMLP.Predicted)
				}
				sum := 0.0
				for j := range want {
					f, _ := strconv.ParseFloat(strings.Split(rows[i*want+j], ":")[0], 64)
					sum += f
				}
				if want == 10 && math.Abs(sum-1) > 1e-5 {
					t.Errorf("image %d: probabilities of all classes sum to %v", i, sum)
				}
			}
			contents, _ := v2.ContentsOf(x)
			g, err := grpcClient(t, s.GRPCAddr).ModelInfer(context.Background(), &v2.ModelInferRequest{ModelName: "digits-mlp",
				Inputs:  []*v2.ModelInferRequest_InferInputTensor{{Name: "input", Datatype: "FP32", Shape: []int64{n, 1, 8, 8}, Contents: contents}},
				Outputs: []*v2.ModelInferRequest_InferRequestedOutputTensor{{Name: "logits", Parameters: map[string]*v2.InferParameter{"classification": {ParameterChoice: &v2.InferParameter_Int64Param{Int64Param: int64(k)}}}}}})
			if err != nil {
				t.Fatal(err)
			}
			sameTensor(t, "gRPC classification", grpcOutputs(t, g)["logits"], cls)
		})
	}
	// Without labels or softmax: raw scores and indices.
	r := do(t, http.MethodPost, s.URL+"/v2/models/regress/infer", "application/json",
		[]byte(`{"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 0, 0, 0]}], "outputs": [{"name": "y", "parameters": {"classification": 1}}]}`))
	if _, outs := v2Outputs(t, r); !slices.Equal(tensor.Data[string](outs["y"]), []string{"4.75:0", "0.25:0"}) {
		t.Errorf("regress classification = %v", tensor.Data[string](outs["y"]))
	}
}

func TestTFServingEndpoints(t *testing.T) {
	s := servertest.Start(t, brokenRepo(t))
	checkGets(t, s.URL, []getCase{
		{"/v1/models/digits", 200, `{"model_version_status":[{"version":"2","state":"END","status":{"error_code":"UNKNOWN","error_message":"loading `},
		{"/v1/models/digits", 200, `{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}`},
		{"/v1/models/digits/versions/1", 200, `{"model_version_status":[{"version":"1","state":"AVAILABLE","status":{"error_code":"OK","error_message":""}}]}`},
		{"/v1/models/digits/labels/production", 200, `[{"version":"1","state":"AVAILABLE"`},
		{"/v1/models/digits/versions/2", 200, `[{"version":"2","state":"END"`},
		{"/v1/models/digits/versions/9", 404, `model \"digits\" has no version 9`},
		{"/v1/models/nope", 404, `model \"nope\"`},
		{"/v1/models/digits/metadata", 200, `"model_spec":{"name":"digits","signature_name":"","version":"1"}`},
		{"/v1/models/digits/versions/1/metadata", 200, `"inputs":{"input":{"dtype":"DT_FLOAT","tensor_shape":{"dim":[{"size":"-1","name":""},{"size":"1","name":""},{"size":"8","name":""},{"size":"8","name":""}],"unknown_rank":false},"name":"input"}}`},
		{"/v1/models/digits/labels/production/metadata", 200, `"method_name":"tensorflow/serving/predict"`},
		{"/v1/models/echo/metadata", 200, `"s_bytes":{"dtype":"DT_STRING"`},
		{"/v1/models/digits/versions/2/metadata", 503, "FAILED"},
	})
	x, _, _ := digitsBatch(t, 2)
	ref := testutil.LoadReference(t)
	var rows []string
	for i := range 2 {
		row, _ := x.Reshape(2, 64)
		r := tensor.Data[float32](row)[i*64 : (i+1)*64]
		rows = append(rows, fmt.Sprintf(`{"input": %s}`, tensor.AppendJSON(nil, tensor.MustFromSlice(r, 1, 8, 8))))
	}
	var cls struct{ Results [][][2]any }
	r := do(t, http.MethodPost, s.URL+"/v1/models/digits/versions/1:classify", "application/json", []byte(`{"examples": [`+strings.Join(rows, ",")+`]}`))
	r.json(t, &cls)
	if r.code != 200 || len(cls.Results) != 2 || len(cls.Results[0]) != 3 {
		t.Fatalf(":classify: %d %s", r.code, r.body)
	}
	for i := range 2 {
		if cls.Results[i][0][0] != ref.Images[i].Digits.Predicted {
			t.Errorf(":classify row %d: %v, want %s", i, cls.Results[i], ref.Images[i].Digits.Predicted)
		}
	}
	var reg struct{ Results []float64 }
	r = do(t, http.MethodPost, s.URL+"/v1/models/regress:regress", "application/json", []byte(`{"context": {"x": [0, 0, 0]}, "examples": [{"x": [1, 2, 3]}, {}, {"x": [2, 0, 0]}]}`))
	r.json(t, &reg)
	if r.code != 200 || !slices.Equal(reg.Results, []float64{4.75, 0.25, 1.25}) {
		t.Errorf(":regress: %d %s", r.code, r.body)
	}
}

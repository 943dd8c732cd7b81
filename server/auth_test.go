package server_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/auth"
	"github.com/inferd/inferd/auth/authtest"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
)

// scopes are the scopes a principal can hold, but predict:PATTERN.
var scopes = []auth.Scope{auth.Read, auth.Predict, auth.Manage, auth.Metrics}

// creds are the credentials of the matrix, per scope: a key with only
// that scope (right), one with every other scope (wrong), and JWTs with
// that scope, valid (jwt) or expired with every scope (expired).
type creds struct {
	right, wrong, jwt map[auth.Scope]string
	expired           string
	// otherModel may predict with models other than m only.
	otherModel string
}

// authServer serves the fake repository with API keys from a token file
// and JWTs verified with a JWKS file, both in a temp directory.
func authServer(t *testing.T, opts ...server.Option) (*servertest.Instance, creds, string) {
	t.Helper()
	dir := t.TempDir()
	is := authtest.NewIssuer(t, "test-key")
	c := creds{right: map[auth.Scope]string{}, wrong: map[auth.Scope]string{}, jwt: map[auth.Scope]string{}}
	var keys []authtest.Key
	for _, sc := range scopes {
		others := []string{}
		for _, o := range scopes {
			if o != sc {
				others = append(others, string(o))
			}
		}
		c.right[sc], c.wrong[sc] = "only-"+string(sc), "all-but-"+string(sc)
		keys = append(keys, authtest.Key{Token: c.right[sc], Name: c.right[sc], Scopes: []string{string(sc)}},
			authtest.Key{Token: c.wrong[sc], Name: c.wrong[sc], Scopes: others})
		c.jwt[sc] = is.Token(t, authtest.Claims{Subject: "jwt-" + string(sc), Scope: string(sc), Expiry: time.Hour})
	}
	c.otherModel = "other-models"
	keys = append(keys, authtest.Key{Token: c.otherModel, Name: c.otherModel, Scopes: []string{"predict:other*", "read"}})
	c.expired = is.Token(t, authtest.Claims{Subject: "late", Scope: "read predict manage metrics", Expiry: -time.Hour})
	tokens := filepath.Join(dir, "tokens")
	authtest.WriteTokens(t, tokens, keys...)
	tok, err := auth.LoadTokens(tokens, auth.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewJWTVerifier(context.Background(), is.WriteJWKS(t, dir), is.Issuer, is.Audience)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]server.Option{server.WithAuth(&auth.Chain{Tokens: tok, JWT: verifier})}, opts...)
	return servertest.StartConfig(t, app.Config{Repository: servertest.FakeRepository(), Server: opts, Console: app.Console{Mode: server.ConsoleAuto}}), c, tokens
}

// httpRoute is one request on every route of the server, with the scope
// it needs and its status once authorized.
type httpRoute struct {
	pattern      string
	scope        auth.Scope
	method, path string
	body         string
	status       int
}

const (
	seedJSON = `{"inputs": {"x": [[1, 2]]}}`
	v2JSON   = `{"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}`
	tfJSON   = `{"instances": [[1, 2]]}`
)

var httpRoutes = []httpRoute{
	{"GET /healthz", auth.Open, "GET", "/healthz", "", 200},
	{"GET /readyz", auth.Open, "GET", "/readyz", "", 200},
	{"GET /v2/health/live", auth.Open, "GET", "/v2/health/live", "", 200},
	{"GET /v2/health/ready", auth.Open, "GET", "/v2/health/ready", "", 200},
	{"GET /v2/models/{name}/ready", auth.Open, "GET", "/v2/models/m/ready", "", 200},
	{"GET /v2/models/{name}/versions/{version}/ready", auth.Open, "GET", "/v2/models/m/versions/1/ready", "", 200},
	{"GET /metrics", auth.Metrics, "GET", "/metrics", "", 200},
	{"GET /models", auth.Read, "GET", "/models", "", 200},
	{"GET /models/{name}", auth.Read, "GET", "/models/m", "", 200},
	{"GET /models/{name}/{version}", auth.Read, "GET", "/models/m/1", "", 200},
	{"GET /v2", auth.Read, "GET", "/v2", "", 200},
	{"GET /v2/models/{name}", auth.Read, "GET", "/v2/models/m", "", 200},
	{"GET /v2/models/{name}/versions/{version}", auth.Read, "GET", "/v2/models/m/versions/1", "", 200},
	{"GET /v1/models/{name}", auth.Read, "GET", "/v1/models/m", "", 200},
	{"GET /v1/models/{name}/versions/{version}", auth.Read, "GET", "/v1/models/m/versions/1", "", 200},
	{"GET /v1/models/{name}/labels/{label}", auth.Read, "GET", "/v1/models/m/labels/stable", "", 200},
	{"GET /v1/models/{name}/metadata", auth.Read, "GET", "/v1/models/m/metadata", "", 200},
	{"GET /v1/models/{name}/versions/{version}/metadata", auth.Read, "GET", "/v1/models/m/versions/1/metadata", "", 200},
	{"GET /v1/models/{name}/labels/{label}/metadata", auth.Read, "GET", "/v1/models/m/labels/stable/metadata", "", 200},
	{"POST /models/{name}", auth.Predict, "POST", "/models/m", seedJSON, 200},
	{"POST /models/{name}/{version}", auth.Predict, "POST", "/models/m/1", seedJSON, 200},
	{"POST /v2/models/{name}/infer", auth.Predict, "POST", "/v2/models/m/infer", v2JSON, 200},
	{"POST /v2/models/{name}/versions/{version}/infer", auth.Predict, "POST", "/v2/models/m/versions/1/infer", v2JSON, 200},
	{"POST /v1/models/{name}", auth.Predict, "POST", "/v1/models/m:predict", tfJSON, 200},
	{"POST /v1/models/{name}/versions/{version}", auth.Predict, "POST", "/v1/models/m/versions/2:predict", tfJSON, 200},
	{"POST /v1/models/{name}/labels/{label}", auth.Predict, "POST", "/v1/models/m/labels/stable:predict", tfJSON, 200},
	{"POST /models/{name}/feedback", auth.Predict, "POST", "/models/m/feedback", `{"request_id": "r", "label": 1}`, 404},       // capture is off
	{"POST /v2/models/{name}/feedback", auth.Predict, "POST", "/v2/models/m/feedback", `{"request_id": "r", "label": 1}`, 404}, // capture is off
	{"PUT /models/{name}/labels/{label}", auth.Manage, "PUT", "/models/m/labels/stable", `{"version": 1}`, 200},
	{"DELETE /models/{name}/labels/{label}", auth.Manage, "DELETE", "/models/m/labels/canary", "", 404},
	{"PUT /models/{name}/traffic", auth.Manage, "PUT", "/models/m/traffic", `{"1": 50, "2": 50}`, 200},
	{"DELETE /models/{name}/traffic", auth.Manage, "DELETE", "/models/m/traffic", "", 200},
	{"POST /v2/repository/index", auth.Manage, "POST", "/v2/repository/index", "", 200},
	{"POST /v2/repository/models/{name}/load", auth.Manage, "POST", "/v2/repository/models/nope/load", "", 404},
	{"POST /v2/repository/models/{name}/unload", auth.Manage, "POST", "/v2/repository/models/m/unload", "", 400}, // not under explicit control
	{"GET /ui/", auth.Open, "GET", "/ui/", "", 200},
	{"GET /ui/api/overview", auth.Read, "GET", "/ui/api/overview", "", 200},
	{"GET /ui/api/models/{name}", auth.Read, "GET", "/ui/api/models/m", "", 200},
	{"GET /ui/api/pipelines/{name}", auth.Read, "GET", "/ui/api/pipelines/m", "", 400}, // m is a model
	{"GET /ui/api/events", auth.Read, "GET", "/ui/api/events?events=1", "", 200},
}

// credCase is one column of the matrix: the Authorization header sent and
// the status expected of a route needing scope (normal: the route's own).
type credCase struct {
	name   string
	header func(c creds, scope auth.Scope) string
	want   func(scope auth.Scope, normal int) int
}

var credCases = []credCase{
	{"no credential", func(_ creds, _ auth.Scope) string { return "" }, closed(http.StatusUnauthorized)},
	{"not a bearer token", func(_ creds, _ auth.Scope) string { return "Basic dXNlcjpwYXNz" }, closed(http.StatusUnauthorized)},
	{"unknown key", func(_ creds, _ auth.Scope) string { return "Bearer nope" }, closed(http.StatusUnauthorized)},
	{"wrong scope", func(c creds, sc auth.Scope) string { return "Bearer " + c.wrong[sc] }, closed(http.StatusForbidden)},
	{"right scope (key)", func(c creds, sc auth.Scope) string { return "Bearer " + c.right[sc] }, closed(0)},
	{"right scope (JWT)", func(c creds, sc auth.Scope) string { return "Bearer " + c.jwt[sc] }, closed(0)},
	{"expired JWT", func(c creds, _ auth.Scope) string { return "Bearer " + c.expired }, closed(http.StatusUnauthorized)},
	{"predict on other models only", func(c creds, _ auth.Scope) string { return "Bearer " + c.otherModel }, func(sc auth.Scope, normal int) int {
		if sc == auth.Predict || sc == auth.Manage || sc == auth.Metrics {
			return http.StatusForbidden
		}
		return normal
	}},
}

// closed is the status of a closed route (a scope other than Open): code,
// or the route's own when code is 0. Open routes always give their own.
func closed(code int) func(auth.Scope, int) int {
	return func(sc auth.Scope, normal int) int {
		if sc == auth.Open || code == 0 {
			return normal
		}
		return code
	}
}

// TestAuthorizationMatrixHTTP sends every route every kind of credential.
func TestAuthorizationMatrixHTTP(t *testing.T) {
	s, c, _ := authServer(t)
	var patterns []string
	for _, rt := range httpRoutes {
		patterns = append(patterns, rt.pattern)
		if got := server.RouteScopes[rt.pattern]; got != rt.scope {
			t.Errorf("%s needs scope %q, want %q", rt.pattern, got, rt.scope)
		}
	}
	for p := range server.RouteScopes {
		if strings.Contains(p, " ") && !slices.Contains(patterns, p) {
			t.Errorf("route %s is missing from the matrix", p)
		}
	}
	for _, rt := range httpRoutes {
		for _, cc := range credCases {
			t.Run(rt.method+" "+rt.path+"/"+cc.name, func(t *testing.T) {
				header := cc.header(c, rt.scope)
				r := sendID(t, rt.method, s.URL+rt.path, "", rt.body, "Authorization", header)
				want := cc.want(rt.scope, rt.status)
				checkAuthStatus(t, r, want, header)
			})
		}
	}
}

// checkAuthStatus checks an answer's status (want 0: any but 401 and 403)
// and, for 401, the challenge.
func checkAuthStatus(t *testing.T, r reply, want int, header string) {
	t.Helper()
	switch {
	case want == 0 && (r.code == http.StatusUnauthorized || r.code == http.StatusForbidden):
		t.Fatalf("status %d %s, want the route's own", r.code, r.body)
	case want != 0 && r.code != want:
		t.Fatalf("status %d %s, want %d", r.code, r.body, want)
	}
	var body struct{ Error string }
	if r.code >= 400 {
		r.json(t, &body)
		if body.Error == "" {
			t.Errorf("no error message: %s", r.body)
		}
	}
	challenge := r.header.Get("WWW-Authenticate")
	if (r.code == http.StatusUnauthorized) != strings.HasPrefix(challenge, "Bearer") {
		t.Errorf("status %d with WWW-Authenticate %q", r.code, challenge)
	}
	if r.code == http.StatusUnauthorized && header != "" && !strings.Contains(challenge, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q for a bad credential, want error=\"invalid_token\"", challenge)
	}
}

// grpcRoute is one call of every gRPC method, with the scope it needs.
type grpcRoute struct {
	method string
	scope  auth.Scope
	call   func(ctx context.Context, c v2.GRPCInferenceServiceClient, h healthpb.HealthClient) error
}

var grpcRoutes = []grpcRoute{
	{"ServerLive", auth.Open, func(ctx context.Context, c v2.GRPCInferenceServiceClient, _ healthpb.HealthClient) error {
		_, err := c.ServerLive(ctx, &v2.ServerLiveRequest{})
		return err
	}},
	{"ServerReady", auth.Open, func(ctx context.Context, c v2.GRPCInferenceServiceClient, _ healthpb.HealthClient) error {
		_, err := c.ServerReady(ctx, &v2.ServerReadyRequest{})
		return err
	}},
	{"ModelReady", auth.Open, func(ctx context.Context, c v2.GRPCInferenceServiceClient, _ healthpb.HealthClient) error {
		_, err := c.ModelReady(ctx, &v2.ModelReadyRequest{Name: "m"})
		return err
	}},
	{"ServerMetadata", auth.Read, func(ctx context.Context, c v2.GRPCInferenceServiceClient, _ healthpb.HealthClient) error {
		_, err := c.ServerMetadata(ctx, &v2.ServerMetadataRequest{})
		return err
	}},
	{"ModelMetadata", auth.Read, func(ctx context.Context, c v2.GRPCInferenceServiceClient, _ healthpb.HealthClient) error {
		_, err := c.ModelMetadata(ctx, &v2.ModelMetadataRequest{Name: "m"})
		return err
	}},
	{"ModelInfer", auth.Predict, func(ctx context.Context, c v2.GRPCInferenceServiceClient, _ healthpb.HealthClient) error {
		_, err := c.ModelInfer(ctx, &v2.ModelInferRequest{ModelName: "m", Inputs: []*v2.ModelInferRequest_InferInputTensor{
			{Name: "x", Datatype: "FP32", Shape: []int64{1, 2}, Contents: &v2.InferTensorContents{Fp32Contents: []float32{1, 2}}}}})
		return err
	}},
	{"/grpc.health.v1.Health/Check", auth.Open, func(ctx context.Context, _ v2.GRPCInferenceServiceClient, h healthpb.HealthClient) error {
		_, err := h.Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}},
}

// TestAuthorizationMatrixGRPC makes every call with every kind of
// credential, in authorization metadata.
func TestAuthorizationMatrixGRPC(t *testing.T) {
	s, c, _ := authServer(t)
	conn := grpcConn(t, s.GRPCAddr)
	client, health := v2.NewGRPCInferenceServiceClient(conn), healthpb.NewHealthClient(conn)
	for _, m := range v2.GRPCInferenceService_ServiceDesc.Methods {
		if !slices.ContainsFunc(grpcRoutes, func(r grpcRoute) bool { return r.method == m.MethodName }) {
			t.Errorf("method %s is missing from the matrix", m.MethodName)
		}
	}
	for _, rt := range grpcRoutes {
		full := rt.method
		if !strings.HasPrefix(full, "/") {
			full = "/" + v2.GRPCInferenceService_ServiceDesc.ServiceName + "/" + full
			if got := server.RouteScopes[full]; got != rt.scope {
				t.Errorf("%s needs scope %q, want %q", full, got, rt.scope)
			}
		}
		for _, cc := range credCases {
			t.Run(rt.method+"/"+cc.name, func(t *testing.T) {
				ctx := context.Background()
				if h := cc.header(c, rt.scope); h != "" {
					ctx = metadata.AppendToOutgoingContext(ctx, "authorization", h)
				}
				err := rt.call(ctx, client, health)
				want := map[int]codes.Code{0: codes.OK, http.StatusOK: codes.OK,
					http.StatusUnauthorized: codes.Unauthenticated, http.StatusForbidden: codes.PermissionDenied}[cc.want(rt.scope, 0)]
				if got := status.Code(err); got != want {
					t.Fatalf("code %s (%v), want %s", got, err, want)
				}
			})
		}
	}
}

// fakeAddrListener reports another address than the one it listens on.
type fakeAddrListener struct {
	net.Listener
	addr net.Addr
}

func (l fakeAddrListener) Addr() net.Addr { return l.addr }

// Without credentials, every route is open but management, which is open
// only when the HTTP listener is on loopback.
func TestManagementWithoutCredentials(t *testing.T) {
	in, logs := startLogged(t) // loopback
	r := sendID(t, "PUT", in.URL+"/models/m/labels/stable", "open-1", `{"version": 1}`)
	if r.code != http.StatusOK {
		t.Fatalf("management on loopback: %d %s", r.code, r.body)
	}
	if line := logs.line(t, "open-1"); line["principal"] != "anonymous" {
		t.Errorf("principal = %v, want anonymous", line["principal"])
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := fakeAddrListener{Listener: ln, addr: &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 8080}}
	srv := server.New(in.Models, server.WithLogger(slog.New(slog.DiscardHandler)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListeners(ctx, public, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	url := "http://" + ln.Addr().String()
	tests := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"PUT", "/models/m/labels/stable", `{"version": 1}`, 403, "management is refused: no credentials are configured"},
		{"POST", "/v2/repository/index", "", 403, "management is refused"},
		{"GET", "/models", "", 200, `"name":"m"`},
		{"POST", "/models/m", seedJSON, 200, `"outputs"`},
		{"GET", "/metrics", "", 200, "inferd_"},
	}
	for _, tt := range tests {
		r := sendID(t, tt.method, url+tt.path, "", tt.body)
		if r.code != tt.code || !strings.Contains(string(r.body), tt.want) {
			t.Errorf("%s %s = %d %s, want %d with %q", tt.method, tt.path, r.code, r.body, tt.code, tt.want)
		}
	}
}

// Management is logged with its principal even when the access log is
// off; other requests log their principal too.
func TestAuthAccessLog(t *testing.T) {
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, c, _ := authServer(t, server.WithLogger(log), server.WithAccessLog(server.AccessLogOff, 1))
	tests := []struct {
		id, method, path, body, token string
		code                          int
		logged                        bool
	}{
		{"manage-1", "PUT", "/models/m/labels/stable", `{"version": 1}`, c.right[auth.Manage], 200, true},
		{"manage-2", "PUT", "/models/m/labels/stable", `{"version": 1}`, c.wrong[auth.Manage], 403, true},
		{"predict-1", "POST", "/models/m", seedJSON, c.right[auth.Predict], 200, false},
	}
	for _, tt := range tests {
		r := sendID(t, tt.method, s.URL+tt.path, tt.id, tt.body, "Authorization", "Bearer "+tt.token)
		if r.code != tt.code {
			t.Fatalf("%s: %d %s", tt.id, r.code, r.body)
		}
	}
	for _, tt := range tests {
		if !tt.logged {
			continue
		}
		if line := logs.line(t, tt.id); line["principal"] != tt.token || line["route"] != "/models/{name}/labels/{label}" {
			t.Errorf("%s: line %v, want principal %s", tt.id, line, tt.token)
		}
	}
	for _, line := range logs.lines(t) {
		if line["request_id"] == "predict-1" {
			t.Errorf("a prediction was logged with the access log off: %v", line)
		}
	}
}

// The server takes a rewritten token file: the new key works and the
// removed one stops, within a bounded wait, a poll at a time.
func TestAuthTokenFileReload(t *testing.T) {
	s, c, tokens := authServer(t)
	url := s.URL + "/models"
	if r := sendID(t, "GET", url, "", "", "Authorization", "Bearer "+c.right[auth.Read]); r.code != 200 {
		t.Fatalf("before: %d %s", r.code, r.body)
	}
	authtest.WriteTokens(t, tokens, authtest.Key{Token: "rotated", Name: "rotated", Scopes: []string{"read"}})
	deadline := time.Now().Add(5 * time.Second)
	for sendID(t, "GET", url, "", "", "Authorization", "Bearer rotated").code != 200 {
		if time.Now().After(deadline) {
			t.Fatal("the new key was not taken within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := sendID(t, "GET", url, "", "", "Authorization", "Bearer "+c.right[auth.Read]); r.code != http.StatusUnauthorized {
		t.Errorf("the removed key: %d %s", r.code, r.body)
	}
}

// Every gRPC service the server registers (listed by reflection, itself
// open) has its methods in the route table.
func TestEveryGRPCServiceHasScopes(t *testing.T) {
	s, _, _ := authServer(t)
	stream, err := reflectionpb.NewServerReflectionClient(grpcConn(t, s.GRPCAddr)).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("reflection: %v", err)
	}
	_ = stream.CloseSend()
	services := resp.GetListServicesResponse().GetService()
	if len(services) < 3 {
		t.Fatalf("services %v", services)
	}
	for _, svc := range services {
		name := svc.GetName()
		if name == v2.GRPCInferenceService_ServiceDesc.ServiceName {
			continue // method by method, in TestAuthorizationMatrixGRPC
		}
		if _, ok := server.RouteScopes["/"+name+"/"]; !ok {
			t.Errorf("service %s has no scope", name)
		}
	}
}

// With a management listener, management is served there only, and no
// inference is; without credentials it is open because that listener is
// on loopback, although the API listener is public.
func TestManagementListener(t *testing.T) {
	in, _ := startLogged(t)
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	apiLn, mgmtLn, publicMgmtLn := listen(), listen(), listen()
	public := func(ln net.Listener) net.Listener {
		return fakeAddrListener{Listener: ln, addr: &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 8080}}
	}
	serve := func(api, mgmt net.Listener) {
		srv := server.New(in.Models, server.WithLogger(slog.New(slog.DiscardHandler)), server.WithManagementListener(mgmt))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.ServeListeners(ctx, api, nil) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
	serve(public(apiLn), mgmtLn)
	otherAPI := listen()
	serve(otherAPI, public(publicMgmtLn))
	api, mgmt, publicMgmt := "http://"+apiLn.Addr().String(), "http://"+mgmtLn.Addr().String(), "http://"+publicMgmtLn.Addr().String()
	tests := []struct {
		name, method, url, body string
		code                    int
		want                    string
	}{
		{"management on the API listener", "PUT", api + "/models/m/labels/stable", `{"version": 1}`, 404, "management is served on the management listener"},
		{"repository on the API listener", "POST", api + "/v2/repository/index", "", 404, "management listener"},
		{"inference on the API listener", "POST", api + "/models/m", seedJSON, 200, `"outputs"`},
		{"listing on the API listener", "GET", api + "/models", "", 200, `"name":"m"`},
		{"management on the loopback management listener", "PUT", mgmt + "/models/m/labels/stable", `{"version": 1}`, 200, `"stable"`},
		{"inference on the management listener", "POST", mgmt + "/models/m", seedJSON, 404, "serves no inference"},
		{"v2 inference on the management listener", "POST", mgmt + "/v2/models/m/infer", `{"inputs":[]}`, 404, "serves no inference"},
		{"listing on the management listener", "GET", mgmt + "/models", "", 200, `"name":"m"`},
		{"readiness on the management listener", "GET", mgmt + "/readyz", "", 200, "ready"},
		{"management on a public management listener", "PUT", publicMgmt + "/models/m/labels/stable", `{"version": 1}`, 403, "management is refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sendID(t, tt.method, tt.url, "", tt.body)
			if r.code != tt.code || !strings.Contains(string(r.body), tt.want) {
				t.Errorf("%s = %d %s, want %d with %q", tt.method, r.code, r.body, tt.code, tt.want)
			}
		})
	}
}

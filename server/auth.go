package server

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/auth"
)

// Authentication and authorization: one table says which scope every
// HTTP route and gRPC method needs; handleProtocol (and /metrics) check it
// over HTTP, authorizeCall over gRPC.

// grpcService prefixes the methods of the Open Inference Protocol service.
var grpcService = "/" + v2.GRPCInferenceService_ServiceDesc.ServiceName + "/"

// routeScopes maps every HTTP route pattern ("METHOD /path", as
// registered) and every gRPC method ("/service/Method", or "/service/"
// for all of a service's methods) to the scope it needs. A route missing
// here is refused: handleProtocol refuses to register it.
var routeScopes = map[string]auth.Scope{
	// Health and readiness stay open, model readiness included.
	"GET /healthz":                auth.Open,
	"GET /readyz":                 auth.Open,
	"GET /v2/health/live":         auth.Open,
	"GET /v2/health/ready":        auth.Open,
	"GET /v2/models/{name}/ready": auth.Open,
	"GET /v2/models/{name}/versions/{version}/ready": auth.Open,
	grpcService + "ServerLive":                       auth.Open,
	grpcService + "ServerReady":                      auth.Open,
	grpcService + "ModelReady":                       auth.Open,
	"/grpc.health.v1.Health/":                        auth.Open,
	// Reflection describes the services, not the models.
	"/grpc.reflection.v1.ServerReflection/":      auth.Open,
	"/grpc.reflection.v1alpha.ServerReflection/": auth.Open,

	"GET /metrics": auth.Metrics,

	// Listings, metadata and status.
	"GET /models":                                       auth.Read,
	"GET /models/{name}":                                auth.Read,
	"GET /models/{name}/{version}":                      auth.Read,
	"GET /v2":                                           auth.Read,
	"GET /v2/models/{name}":                             auth.Read,
	"GET /v2/models/{name}/versions/{version}":          auth.Read,
	"GET /v1/models/{name}":                             auth.Read,
	"GET /v1/models/{name}/versions/{version}":          auth.Read,
	"GET /v1/models/{name}/labels/{label}":              auth.Read,
	"GET /v1/models/{name}/metadata":                    auth.Read,
	"GET /v1/models/{name}/versions/{version}/metadata": auth.Read,
	"GET /v1/models/{name}/labels/{label}/metadata":     auth.Read,
	grpcService + "ServerMetadata":                      auth.Read,
	grpcService + "ModelMetadata":                       auth.Read,

	// Inference, on the model named by the route ({name}, without a TF
	// Serving :verb) or the call (model_name).
	"POST /models/{name}":                             auth.Predict,
	"POST /models/{name}/{version}":                   auth.Predict,
	"POST /v2/models/{name}/infer":                    auth.Predict,
	"POST /v2/models/{name}/versions/{version}/infer": auth.Predict,
	"POST /v1/models/{name}":                          auth.Predict,
	"POST /v1/models/{name}/versions/{version}":       auth.Predict,
	"POST /v1/models/{name}/labels/{label}":           auth.Predict,
	grpcService + "ModelInfer":                        auth.Predict,
	// Feedback labels the model's own answers: who may ask a model may
	// say what the right answer was (and predict:PATTERN limits it to the
	// same models). It changes nothing that is served.
	"POST /models/{name}/feedback":    auth.Predict,
	"POST /v2/models/{name}/feedback": auth.Predict,

	// The console (console.go): the page holds no data; its data is read
	// like the listings; its actions are the management routes below.
	"GET /ui/":                     auth.Open,
	"GET /ui/api/overview":         auth.Read,
	"GET /ui/api/models/{name}":    auth.Read,
	"GET /ui/api/pipelines/{name}": auth.Read,
	"GET /ui/api/events":           auth.Read,

	// Management: labels, traffic, explicit model control.
	"PUT /models/{name}/labels/{label}":        auth.Manage,
	"DELETE /models/{name}/labels/{label}":     auth.Manage,
	"PUT /models/{name}/traffic":               auth.Manage,
	"DELETE /models/{name}/traffic":            auth.Manage,
	"POST /v2/repository/index":                auth.Manage,
	"POST /v2/repository/models/{name}/load":   auth.Manage,
	"POST /v2/repository/models/{name}/unload": auth.Manage,
}

// scopeOf is the scope route needs: its own entry, or its gRPC service's.
func scopeOf(route string) (auth.Scope, bool) {
	if sc, ok := routeScopes[route]; ok {
		return sc, true
	}
	if i := strings.LastIndexByte(route, '/'); i > 0 && strings.HasPrefix(route, "/") {
		sc, ok := routeScopes[route[:i+1]]
		return sc, ok
	}
	return "", false
}

// WithAuth authenticates bearer credentials (Authorization: Bearer, or
// gRPC authorization metadata) with a, and refuses requests whose
// principal lacks the scope of the route. Without it every route is open
// but management, which is open only when the HTTP listener is on a
// loopback address.
func WithAuth(a auth.Authenticator) Option { return func(s *Server) { s.authn = a } }

// isLoopbackListener reports whether ln listens on a loopback address
// only.
func isLoopbackListener(ln net.Listener) bool {
	ap, err := netip.ParseAddrPort(ln.Addr().String())
	return err == nil && ap.Addr().IsLoopback()
}

// authorize checks that the request may use route: authorization is its
// Authorization header (or metadata), model the model it names. It
// records the principal and the scope in info.
func (s *Server) authorize(ctx context.Context, route, authorization, model string, info *reqInfo) error {
	scope, ok := scopeOf(route)
	if !ok {
		return errorf(http.StatusForbidden, "no scope is defined for %s", route)
	}
	info.scope = scope
	if err := s.checkListener(ctx, route, scope); err != nil {
		return err
	}
	if scope == auth.Open {
		return nil
	}
	if s.authn == nil {
		if scope != auth.Manage {
			return nil
		}
		if s.managementOpen() {
			info.principal = "anonymous"
			return nil
		}
		return errorf(http.StatusForbidden, "management is refused: no credentials are configured (--auth-tokens or --auth-jwks) and the listener serving management is not on a loopback address")
	}
	token, ok := auth.BearerToken(authorization)
	if !ok {
		return errorf(http.StatusUnauthorized, "%w: the Authorization header is not a bearer token", auth.ErrUnauthenticated)
	}
	p, err := s.authn.Authenticate(ctx, token)
	if err != nil {
		return errorf(http.StatusUnauthorized, "%w", err)
	}
	info.principal = p.Name
	if !p.Allows(scope, model) {
		if scope == auth.Predict {
			return errorf(http.StatusForbidden, "%s may not predict with model %q (needs scope predict or predict:PATTERN matching it)", p.Name, model)
		}
		return errorf(http.StatusForbidden, "%s lacks scope %s", p.Name, scope)
	}
	return nil
}

// authorizeHTTP is authorize for an HTTP request on pattern; a 401 gets
// the WWW-Authenticate header.
func (s *Server) authorizeHTTP(w http.ResponseWriter, r *http.Request, pattern string, info *reqInfo) error {
	model, _, _ := strings.Cut(r.PathValue("name"), ":") // TF Serving's name:verb
	err := s.authorize(r.Context(), pattern, r.Header.Get("Authorization"), model, info)
	if err != nil && statusOf(err) == http.StatusUnauthorized {
		challenge := `Bearer realm="inferd"`
		if r.Header.Get("Authorization") != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	return err
}

// guarded is h behind authorizeHTTP, for routes that handleProtocol does
// not serve (/metrics).
func (s *Server) guarded(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := callInfo(r.Context())
		if err := s.authorizeHTTP(w, r, pattern, info); err != nil {
			info.err = err
			writeError(w, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authorizeCall is authorize for a gRPC call of method with request req.
func (s *Server) authorizeCall(ctx context.Context, method string, req any, info *reqInfo) error {
	md, _ := metadata.FromIncomingContext(ctx)
	authorization := ""
	if v := md.Get("authorization"); len(v) > 0 {
		authorization = v[0]
	}
	model := ""
	if m, ok := req.(interface{ GetModelName() string }); ok {
		model = m.GetModelName()
	}
	return s.authorize(ctx, method, authorization, model, info)
}

// streamAuth authorizes gRPC streams (health Watch, reflection).
func (s *Server) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := s.authorizeCall(ss.Context(), info.FullMethod, nil, &reqInfo{}); err != nil {
		return grpcError(err)
	}
	return handler(srv, ss)
}

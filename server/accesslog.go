package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/auth"
)

// The access log: one structured line per request, over HTTP and gRPC,
// written when the request ends.

// AccessLogMode says which requests the access log records.
type AccessLogMode string

// The access log modes.
const (
	// AccessLogAll logs every request (successful ones sampled, see
	// WithAccessLog) except successful health, readiness and metrics
	// probes.
	AccessLogAll AccessLogMode = "all"
	// AccessLogErrors logs failed requests (status 400 and above) only.
	AccessLogErrors AccessLogMode = "errors"
	// AccessLogOff logs no requests but server errors (5xx).
	AccessLogOff AccessLogMode = "off"
)

// ParseAccessLogMode reads "all", "errors" or "off".
func ParseAccessLogMode(s string) (AccessLogMode, error) {
	switch m := AccessLogMode(s); m {
	case AccessLogAll, AccessLogErrors, AccessLogOff:
		return m, nil
	}
	return "", fmt.Errorf("%q is not all, errors or off", s)
}

// WithAccessLog sets which requests the access log records (default
// AccessLogAll) and, with sample N > 1, logs only 1 in N successful
// requests; failures are always logged (unless the mode is AccessLogOff).
func WithAccessLog(mode AccessLogMode, sample int) Option {
	return func(s *Server) {
		s.access.mode = mode
		s.access.sample = uint64(max(sample, 1))
	}
}

// accessLog is the access log's configuration and sampling counter.
type accessLog struct {
	mode   AccessLogMode
	sample uint64
	n      atomic.Uint64 // successful requests seen, for sampling
}

// probeRoutes are the health, readiness and metrics probes: logged only
// when they fail, as orchestrators call them every few seconds.
var probeRoutes = map[string]bool{
	"/healthz": true, "/readyz": true, "/metrics": true,
	"/v2/health/live": true, "/v2/health/ready": true,
	"/" + v2.GRPCInferenceService_ServiceDesc.ServiceName + "/ServerLive":  true,
	"/" + v2.GRPCInferenceService_ServiceDesc.ServiceName + "/ServerReady": true,
}

// isProbe reports whether route (an HTTP route or a gRPC method) is a
// probe. Every call of a gRPC service other than inference (the health
// service) is one.
func isProbe(route string) bool {
	return probeRoutes[route] || strings.HasPrefix(route, "/grpc.health.")
}

// decide says whether a request that ended with status is logged, and at
// which level: successful requests at info (sampled, probes never),
// failures at info, except 503 at warn (at info for probes: not being
// ready is expected while loading and draining) and other 5xx at error.
func (a *accessLog) decide(status int, probe bool) (slog.Level, bool) {
	switch {
	case status == http.StatusServiceUnavailable && probe:
		return slog.LevelInfo, a.mode != AccessLogOff
	case status == http.StatusServiceUnavailable:
		return slog.LevelWarn, true
	case status >= 500:
		return slog.LevelError, true
	case status >= 400:
		return slog.LevelInfo, a.mode != AccessLogOff
	case probe || a.mode != AccessLogAll:
		return 0, false
	case a.sample > 1 && (a.n.Add(1)-1)%a.sample != 0:
		return 0, false
	}
	return slog.LevelInfo, true
}

// accessEntry is one finished request as the access log records it; info
// carries what the handler learned (protocol, route, model, version,
// client id, request id, error).
type accessEntry struct {
	method, remote      string
	info                *reqInfo
	status              int
	grpcCode            string // gRPC calls only
	latency             time.Duration
	reqBytes, respBytes int64
}

// logAccess writes e's line, if the mode and sampling say so.
func (s *Server) logAccess(ctx context.Context, e *accessEntry) {
	ri := e.info
	level, ok := s.access.decide(e.status, isProbe(ri.route))
	if ri.scope == auth.Manage { // management is always logged, with its principal
		level, ok = max(level, slog.LevelInfo), true
	}
	if !ok || !s.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 16)
	nonEmpty := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	attrs = append(attrs, slog.String("method", e.method))
	nonEmpty("route", ri.route)
	attrs = append(attrs, slog.String("protocol", ri.protocol))
	nonEmpty("model", ri.model)
	nonEmpty("version", ri.version)
	attrs = append(attrs, slog.Int("status", e.status))
	nonEmpty("grpc_code", e.grpcCode)
	attrs = append(attrs,
		slog.Float64("latency_ms", math.Round(float64(e.latency.Microseconds()))/1000),
		slog.Int64("req_bytes", e.reqBytes),
		slog.Int64("resp_bytes", e.respBytes),
		slog.String("request_id", ri.requestID),
		slog.String("remote", e.remote))
	nonEmpty("client_id", ri.client)
	nonEmpty("principal", ri.principal)
	if ri.err != nil {
		attrs = append(attrs, slog.String("err", errorMessage(ri.err)))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
}

// accessLogged wraps the HTTP handler: it gives every request its id
// (echoed in the response header), counts the bytes each way and logs the
// request when it ends. The route handlers fill in the reqInfo it puts in
// the request's context.
func (s *Server) accessLogged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &accessState{info: reqInfo{client: r.Header.Get(ClientHeader), requestID: requestID(r.Header.Get(RequestIDHeader))}}
		info, cw, body := &st.info, &st.writer, &st.body
		w.Header().Set(RequestIDHeader, info.requestID)
		cw.ResponseWriter, body.ReadCloser = w, r.Body
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, info))
		r.Body = body
		next.ServeHTTP(cw, r)
		if info.protocol == "" { // not a handleProtocol route: /metrics, 404, 405
			info.protocol = protocolOfPath(r.URL.Path)
			info.route = r.Pattern[strings.IndexByte(r.Pattern, ' ')+1:]
		}
		status := cw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.logAccess(r.Context(), &accessEntry{
			method: r.Method, remote: r.RemoteAddr, info: info, status: status,
			latency: time.Since(start), reqBytes: body.n, respBytes: cw.n,
		})
	})
}

// accessState is what accessLogged keeps of a request, in one allocation.
type accessState struct {
	info   reqInfo
	writer countingWriter
	body   countingReader
}

// countingWriter is a ResponseWriter that records the status and counts
// the body's bytes.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingReader counts the bytes read from a request body.
type countingReader struct {
	io.ReadCloser
	n int64
}

func (r *countingReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.n += int64(n)
	return n, err
}

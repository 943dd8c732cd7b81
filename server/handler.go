package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/inferd/inferd/auth"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/serving/runner"
)

// reqInfo carries what a handler learned about the request into metrics
// and logs: the model and version it resolved (empty for unknown ones, so
// that metric labels stay bounded), and what the access log records.
type reqInfo struct {
	model, version string
	// client pins the request to one version of a traffic split: the
	// Inferd-Client-Id header, or inferd-client-id gRPC metadata.
	client string
	// requestID identifies the request (see RequestIDHeader).
	requestID string
	// protocol and route name the protocol and the route (HTTP pattern
	// without its method, or gRPC method) that served the request.
	protocol, route string
	// err is the error the request failed with.
	err error
	// principal is who made the request (auth), scope what the route
	// needs.
	principal string
	scope     auth.Scope
}

// TimingHeader names the response header that splits a request's time in
// the model: queue=<µs>;compute=<µs>;batch=<rows>. gRPC sends it as the
// inferd-timing header metadata.
const TimingHeader = "Inferd-Timing"

// TimeoutHeader names the request header that bounds a request's time
// (a Go duration such as 250ms); past it the request leaves the batching
// queue and gets 504. gRPC uses the call's deadline.
const TimeoutHeader = "Inferd-Timeout"

// ClientHeader names the request header (and gRPC metadata key) whose
// value pins a client to one version of a model's traffic split.
const ClientHeader = "Inferd-Client-Id"

// apiFunc is a handler that returns a value to encode as JSON, or an error.
type apiFunc func(r *http.Request, info *reqInfo) (any, error)

// handle registers fn on mux under pattern ("METHOD /path") as a seed
// route; see handleProtocol.
func (s *Server) handle(mux *http.ServeMux, pattern string, fn apiFunc) {
	s.handleProtocol(mux, protoSeed, pattern, fn)
}

// handleProtocol registers fn on mux under pattern ("METHOD /path"),
// encoding its result (JSON, or a *rawAnswer as is) or error and recording
// metrics by protocol and route. The access log (accessLogged) writes the
// request's line from the reqInfo it fills.
func (s *Server) handleProtocol(mux *http.ServeMux, protocol, pattern string, fn apiFunc) {
	route := pattern[strings.IndexByte(pattern, ' ')+1:]
	if _, ok := scopeOf(pattern); !ok {
		panic("server: route " + pattern + " has no entry in routeScopes")
	}
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := callInfo(r.Context())
		info.protocol, info.route = protocol, route
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		ctx, cancel, err := requestContext(r)
		defer cancel()
		if err == nil {
			err = s.authorizeHTTP(w, r, pattern, info)
		}
		if err == nil {
			var release func()
			release, err = s.admitHTTP(w, r, info)
			defer release()
		}
		res := s.budget.newReservation()
		defer res.done() // after the answer is written
		if err == nil {
			err = res.charge(s.bodyEstimate(r), "the request body")
		}
		ctx = withReservation(ctx, res)
		ctx = monitor.WithCall(ctx, &monitor.Call{RequestID: info.requestID, ClientID: info.client, Header: r.Header.Get})
		var v any
		if err == nil {
			v, err = fn(r.WithContext(ctx), info)
		}
		if t, ok := runner.TimingOf(ctx); ok {
			w.Header().Set(TimingHeader, t.String())
		}
		code := http.StatusOK
		if err != nil {
			info.err = err
			code = writeError(w, err)
		} else if raw, ok := v.(*rawAnswer); ok {
			raw.write(w)
		} else {
			writeJSON(w, code, v)
		}
		d := time.Since(start)
		s.metrics.observe(protocol, route, info.model, info.version, code, d)
		if info.scope == auth.Predict {
			s.series.Request(info.model, info.version, code, d)
		}
	})
}

// bodyEstimate is the memory a request body takes: its Content-Length,
// or the body limit when the length is not known in advance.
func (s *Server) bodyEstimate(r *http.Request) int64 {
	if r.ContentLength >= 0 {
		return min(r.ContentLength, s.maxBody)
	}
	return s.maxBody
}

// requestContext is r's context with a timing recorder and, when the
// Inferd-Timeout header is set, a deadline.
func requestContext(r *http.Request) (context.Context, context.CancelFunc, error) {
	ctx := runner.WithTiming(r.Context())
	d := r.Header.Get(TimeoutHeader)
	if d == "" {
		return ctx, func() {}, nil
	}
	timeout, err := time.ParseDuration(d)
	if err != nil || timeout <= 0 {
		return ctx, func() {}, errorf(http.StatusBadRequest, "%s: %q is not a positive duration (e.g. 250ms)", TimeoutHeader, d)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	return ctx, cancel, nil
}

// jsonFallback answers requests that match no route (404) or no method of a
// route (405) with a JSON error instead of ServeMux's plain text. The mux
// routes each request once: what it writes when no route matched (the
// request's Pattern is then empty) is captured and translated.
func (s *Server) jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.RequestURI == "*" { // ServeMux answers it without routing
			h, pattern := mux.Handler(r)
			if pattern != "" {
				mux.ServeHTTP(w, r)
				return
			}
			rec := &statusRecorder{header: http.Header{}}
			h.ServeHTTP(rec, r)
			s.fallback(w, r, rec)
			return
		}
		fw := &fallbackWriter{ResponseWriter: w, r: r}
		mux.ServeHTTP(fw, r)
		if fw.rec != nil {
			s.fallback(w, r, fw.rec)
		}
	})
}

// fallback writes the JSON answer for what ServeMux answered to a request
// that matched no route.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request, rec *statusRecorder) {
	info := callInfo(r.Context())
	switch rec.code {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", rec.header.Get("Allow"))
		info.err = errorf(rec.code, "method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.header.Get("Allow"))
		writeError(w, info.err)
	case http.StatusNotFound:
		info.err = errorf(rec.code, "no route for %s %s", r.Method, r.URL.Path)
		writeError(w, info.err)
	default: // a redirect, for example to a cleaned path
		for k, vs := range rec.header {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.code)
		_, _ = w.Write(rec.body.Bytes())
	}
	s.metrics.observe(protocolOfPath(r.URL.Path), "", "", "", rec.code, 0)
}

// fallbackWriter passes a route's answer through, and captures the one
// ServeMux makes itself when no route matched: it decides at the first
// call, when ServeMux has set the request's Pattern.
type fallbackWriter struct {
	http.ResponseWriter
	r       *http.Request
	decided bool
	rec     *statusRecorder // ServeMux's own answer; nil for a route's
}

func (w *fallbackWriter) target() http.ResponseWriter {
	if !w.decided {
		w.decided = true
		if w.r.Pattern == "" {
			w.rec = &statusRecorder{header: http.Header{}}
		}
	}
	if w.rec != nil {
		return w.rec
	}
	return w.ResponseWriter
}

func (w *fallbackWriter) Header() http.Header         { return w.target().Header() }
func (w *fallbackWriter) Write(b []byte) (int, error) { return w.target().Write(b) }
func (w *fallbackWriter) WriteHeader(code int)        { w.target().WriteHeader(code) }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *fallbackWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusRecorder captures a response that ServeMux produced for an
// unmatched request.
type statusRecorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/inferd/inferd/serving/runner"
)

// reqInfo carries what a handler learned about the request into metrics
// and logs: the model and version it resolved (empty for unknown ones, so
// that metric labels stay bounded).
type reqInfo struct {
	model, version string
	// client pins the request to one version of a traffic split: the
	// Inferd-Client-Id header, or inferd-client-id gRPC metadata.
	client string
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
// metrics by protocol and route.
func (s *Server) handleProtocol(mux *http.ServeMux, protocol, pattern string, fn apiFunc) {
	route := pattern[strings.IndexByte(pattern, ' ')+1:]
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &reqInfo{client: r.Header.Get(ClientHeader)}
		r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		ctx := runner.WithTiming(r.Context())
		if d := r.Header.Get(TimeoutHeader); d != "" {
			timeout, err := time.ParseDuration(d)
			if err != nil || timeout <= 0 {
				code := writeError(w, errorf(http.StatusBadRequest, "%s: %q is not a positive duration (e.g. 250ms)", TimeoutHeader, d))
				s.metrics.observe(protocol, route, "", "", code, time.Since(start))
				return
			}
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		r = r.WithContext(ctx)
		v, err := fn(r, info)
		if t, ok := runner.TimingOf(ctx); ok {
			w.Header().Set(TimingHeader, t.String())
		}
		code := http.StatusOK
		if err != nil {
			code = writeError(w, err)
			level := s.log.Debug
			switch {
			case route == "/readyz":
			case code == http.StatusServiceUnavailable:
				level = s.log.Warn
			case code >= 500:
				level = s.log.Error
			}
			level("request failed", "method", r.Method, "path", r.URL.Path, "status", code, "err", err)
		} else if raw, ok := v.(*rawAnswer); ok {
			raw.write(w)
		} else {
			writeJSON(w, code, v)
		}
		s.metrics.observe(protocol, route, info.model, info.version, code, time.Since(start))
	})
}

// jsonFallback answers requests that match no route (404) or no method of a
// route (405) with a JSON error instead of ServeMux's plain text.
func (s *Server) jsonFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		switch rec.code {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeError(w, errorf(rec.code, "method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, rec.header.Get("Allow")))
		case http.StatusNotFound:
			writeError(w, errorf(rec.code, "no route for %s %s", r.Method, r.URL.Path))
		default: // a redirect, for example to a cleaned path
			for k, vs := range rec.header {
				w.Header()[k] = vs
			}
			w.WriteHeader(rec.code)
			_, _ = w.Write(rec.body.Bytes())
		}
		s.metrics.observe(protocolOfPath(r.URL.Path), "", "", "", rec.code, 0)
	})
}

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

package server

import (
	"errors"
	"net/http"

	"github.com/inferd/inferd/console"
	"github.com/inferd/inferd/console/series"
)

// The web console (package console) under /ui/: the page, its data under
// /ui/api/ and its event stream. Which listener serves it:
//   - ConsoleOff: none;
//   - ConsoleAuto (the default once WithConsole is given): the listener
//     that serves management (the management listener with
//     WithManagementListener, else the HTTP listener), when it is on a
//     loopback address;
//   - ConsoleOn: that listener, wherever it is.
//
// Elsewhere /ui/ is not found. The page is open (it holds no data); its
// data needs the read scope and its actions are the management routes,
// which need the manage scope.

// ConsoleMode says where the console is served.
type ConsoleMode string

// The console modes (inferd serve --ui).
const (
	ConsoleAuto ConsoleMode = "auto"
	ConsoleOn   ConsoleMode = "on"
	ConsoleOff  ConsoleMode = "off"
)

// WithSeries records every request's status and latency by model version
// in the console's ring buffer, where the Prometheus metrics observe them.
func WithSeries(st *series.Store) Option { return func(s *Server) { s.series = st } }

// WithConsole serves c under /ui/ as mode says.
func WithConsole(c *console.Console, mode ConsoleMode) Option {
	return func(s *Server) { s.console, s.consoleMode = c, mode }
}

// consoleRoutes registers the console's routes.
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	const proto = "ui"
	s.handleProtocol(mux, proto, "GET /ui/api/overview", func(r *http.Request, _ *reqInfo) (any, error) {
		if err := s.consoleHere(r); err != nil {
			return nil, err
		}
		return s.console.Overview(r.Context()), nil
	})
	s.handleProtocol(mux, proto, "GET /ui/api/models/{name}", func(r *http.Request, info *reqInfo) (any, error) {
		if err := s.consoleHere(r); err != nil {
			return nil, err
		}
		info.model = s.knownModel(r.PathValue("name"))
		return s.console.Model(r.Context(), r.PathValue("name"))
	})
	s.handleProtocol(mux, proto, "GET /ui/api/pipelines/{name}", func(r *http.Request, info *reqInfo) (any, error) {
		if err := s.consoleHere(r); err != nil {
			return nil, err
		}
		info.model = s.knownModel(r.PathValue("name"))
		return s.console.Pipeline(r.Context(), r.PathValue("name"))
	})
	mux.Handle("GET /ui/api/events", s.guarded("GET /ui/api/events", http.HandlerFunc(s.consoleEvents)))
	assets := console.Assets()
	mux.Handle("GET /ui/", s.guarded("GET /ui/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.consoleHere(r); err != nil {
			callInfo(r.Context()).err = err
			writeError(w, err)
			return
		}
		assets.ServeHTTP(w, r)
	})))
}

// consoleEvents serves the console's event stream.
func (s *Server) consoleEvents(w http.ResponseWriter, r *http.Request) {
	err := s.consoleHere(r)
	if err == nil {
		err = s.console.ServeEvents(w, r)
	}
	if err != nil {
		if errorsIsTooMany(err) {
			err = errorf(http.StatusServiceUnavailable, "%v: close another console tab", err)
		}
		callInfo(r.Context()).err = err
		writeError(w, err)
	}
}

// consoleHere says whether the console is served on the listener r came
// in on (a 404 when not).
func (s *Server) consoleHere(r *http.Request) error {
	onMgmt := s.mgmtLn == nil || onManagementListener(r.Context())
	switch {
	case s.console == nil || s.consoleMode == ConsoleOff:
		return errorf(http.StatusNotFound, "no route for %s: the console is off (inferd serve --ui)", r.URL.Path)
	case !onMgmt:
		return errorf(http.StatusNotFound, "no route for %s here: the console is served on the management listener (--management-addr)", r.URL.Path)
	case s.consoleMode != ConsoleOn && !s.managementOpen():
		return errorf(http.StatusNotFound, "no route for %s: the console is served by default only on a loopback listener (inferd serve --ui on serves it here)", r.URL.Path)
	}
	return nil
}

func errorsIsTooMany(err error) bool { return errors.Is(err, console.ErrTooManyStreams) }

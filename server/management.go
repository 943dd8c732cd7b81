package server

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/inferd/inferd/auth"
)

// A management listener (WithManagementListener) serves the management
// routes — labels, traffic, repository load, unload and index — apart
// from the API: the API listener then refuses them, and the management
// listener serves no inference (it serves listings, status, metrics,
// health and readiness besides management). Exposed on a
// private address, management is out of reach of whoever reaches the API;
// without credentials configured it is open only when its own listener is
// on loopback.

// WithManagementListener serves the management routes on ln only.
func WithManagementListener(ln net.Listener) Option { return func(s *Server) { s.mgmtLn = ln } }

// listenerKey marks the context of requests that came in on the
// management listener.
type listenerKey struct{}

// onManagementListener reports whether the request came in on the
// management listener.
func onManagementListener(ctx context.Context) bool {
	v, _ := ctx.Value(listenerKey{}).(bool)
	return v
}

// checkListener refuses a route on the listener that does not serve it,
// as not found: management on the API listener, inference on the
// management listener.
func (s *Server) checkListener(ctx context.Context, route string, scope auth.Scope) error {
	if s.mgmtLn == nil || scope == auth.Open {
		return nil
	}
	switch mgmt := onManagementListener(ctx); {
	case scope == auth.Manage && !mgmt:
		return errorf(http.StatusNotFound, "no route for %s here: management is served on the management listener (--management-addr)", route)
	case scope == auth.Predict && mgmt:
		return errorf(http.StatusNotFound, "no route for %s on the management listener: it serves no inference", route)
	}
	return nil
}

// managementOpen reports whether management routes are open without
// credentials: when the listener that serves them is on loopback.
func (s *Server) managementOpen() bool {
	if s.mgmtLn != nil {
		return isLoopbackListener(s.mgmtLn)
	}
	return s.loopback.Load()
}

// serveManagement starts the management HTTP server, if there is a
// listener for it; stop shuts it down, waiting for its requests until ctx
// is done.
func (s *Server) serveManagement(ctx context.Context) (stop func(context.Context) error) {
	if s.mgmtLn == nil {
		return func(context.Context) error { return nil }
	}
	srv := s.httpServer(ctx)
	srv.BaseContext = func(net.Listener) context.Context {
		return context.WithValue(context.WithoutCancel(ctx), listenerKey{}, true)
	}
	done := make(chan error, 1)
	go func() { done <- s.serveHTTP(srv, s.mgmtLn) }()
	s.log.Info("serving management", "addr", s.mgmtLn.Addr().String(), "tls", s.tlsConfig != nil, "open_without_credentials", s.authn == nil && s.managementOpen())
	return func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if serveErr := <-done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}
		return err
	}
}

package server

import "net/http"

// healthz serves GET /healthz: the process is alive.
func (s *Server) healthz(*http.Request, *reqInfo) (any, error) {
	return map[string]string{"status": "ok"}, nil
}

// readyz serves GET /readyz: every model has an AVAILABLE version and the
// server is not shutting down.
func (s *Server) readyz(*http.Request, *reqInfo) (any, error) {
	if s.stopping.Load() {
		return nil, errorf(http.StatusServiceUnavailable, "not ready: shutting down")
	}
	if ok, why := s.models.Ready(); !ok {
		return nil, errorf(http.StatusServiceUnavailable, "not ready: %s", why)
	}
	return map[string]string{"status": "ready"}, nil
}

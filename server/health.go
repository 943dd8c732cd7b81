package server

import "net/http"

// healthz serves GET /healthz: the process is alive.
func (s *Server) healthz(*http.Request, *reqInfo) (any, error) {
	return map[string]string{"status": "ok"}, nil
}

// readyz serves GET /readyz: the models the readiness policy names have
// an AVAILABLE version and the server is not shutting down. A ready answer
// still names the models that do not serve, under "not_serving".
func (s *Server) readyz(*http.Request, *reqInfo) (any, error) {
	if s.stopping.Load() {
		return nil, errorf(http.StatusServiceUnavailable, "not ready: shutting down")
	}
	ok, why := s.models.Ready()
	if !ok {
		return nil, errorf(http.StatusServiceUnavailable, "not ready: %s", why)
	}
	answer := map[string]string{"status": "ready"}
	if why != "" {
		answer["not_serving"] = why
	}
	return answer, nil
}

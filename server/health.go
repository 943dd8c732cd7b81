package server

import "net/http"

// healthz serves GET /healthz: the process is alive.
func (s *Server) healthz(*http.Request, *reqInfo) (any, error) {
	return map[string]string{"status": "ok"}, nil
}

// readyz serves GET /readyz: the models the readiness policy names have
// an AVAILABLE version and the server is not shutting down. A ready answer
// counts the models that serve ("models_serving", so that a probe can
// tell an empty repository) and names those that do not ("not_serving").
func (s *Server) readyz(*http.Request, *reqInfo) (any, error) {
	if s.stopping.Load() {
		return nil, errorf(http.StatusServiceUnavailable, "not ready: shutting down")
	}
	ok, why := s.models.Ready()
	if !ok {
		return nil, errorf(http.StatusServiceUnavailable, "not ready: %s", why)
	}
	serving := 0
	for _, mod := range s.models.Models() {
		if mod.Default() != nil {
			serving++
		}
	}
	answer := map[string]any{"status": "ready", "models_serving": serving}
	if why != "" {
		answer["not_serving"] = why
	}
	return answer, nil
}

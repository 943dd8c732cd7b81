package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/inferd/inferd/monitor"
)

// Monitor is what the server needs of payload monitoring: storing
// feedback labels and reporting live accuracy (monitor.Monitor).
type Monitor interface {
	Feedback(ctx context.Context, model string, labels []monitor.Label) (monitor.FeedbackResult, error)
	Status(model string) map[string]map[string]monitor.WindowStatus
}

// WithMonitor enables the feedback routes and the live accuracy in a
// model's status.
func WithMonitor(m Monitor) Option { return func(s *Server) { s.monitor = m } }

// maxFeedbackLabels bounds the labels of one feedback request.
const maxFeedbackLabels = 10000

// feedbackRoutes registers POST /models/{name}/feedback and its v2-style
// twin POST /v2/models/{name}/feedback.
func (s *Server) feedbackRoutes(mux *http.ServeMux) {
	s.handleProtocol(mux, protoSeed, "POST /models/{name}/feedback", s.feedback)
	s.handleProtocol(mux, protoV2, "POST /v2/models/{name}/feedback", s.feedback)
}

// feedback stores ground-truth labels, {"request_id": …, "label": …} or a
// list of them, and answers how many joined a captured request.
func (s *Server) feedback(r *http.Request, info *reqInfo) (any, error) {
	m, err := s.models.Model(r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	info.model = m.Name
	if s.monitor == nil {
		return nil, errorf(http.StatusNotFound, "feedback is off: start the server with payload capture (--capture-sample or config.yaml monitoring.sample_rate)")
	}
	body, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	labels, err := decodeFeedback(body)
	if err != nil {
		return nil, err
	}
	return s.monitor.Feedback(r.Context(), m.Name, labels)
}

// decodeFeedback decodes one label or a list of them, strictly.
func decodeFeedback(body []byte) ([]monitor.Label, error) {
	if err := validUTF8(body, "send JSON text"); err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errorf(http.StatusBadRequest, `empty request body; send {"request_id": "...", "label": ...} or a list of them`)
	}
	var labels []monitor.Label
	if trimmed[0] == '[' {
		if err := decodeJSON(bytes.NewReader(trimmed), &labels, true, ""); err != nil {
			return nil, err
		}
	} else {
		var one monitor.Label
		if err := decodeJSON(bytes.NewReader(trimmed), &one, true, ""); err != nil {
			return nil, err
		}
		labels = []monitor.Label{one}
	}
	if len(labels) == 0 || len(labels) > maxFeedbackLabels {
		return nil, errorf(http.StatusBadRequest, "send 1 to %d labels, got %d", maxFeedbackLabels, len(labels))
	}
	for i, l := range labels {
		if !validRequestID(l.RequestID) {
			return nil, errorf(http.StatusBadRequest, "label %d: request_id must be 1 to %d visible ASCII characters (the %s of the request)", i, maxRequestIDLen, RequestIDHeader)
		}
		if len(l.Label) == 0 || string(l.Label) == "null" {
			return nil, errorf(http.StatusBadRequest, "label %d (request %s): label is missing", i, l.RequestID)
		}
		if !json.Valid(l.Label) {
			return nil, errorf(http.StatusBadRequest, "label %d: label is not a JSON value", i)
		}
	}
	return labels, nil
}

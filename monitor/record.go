package monitor

import (
	"encoding/json"
	"time"

	"github.com/inferd/inferd/tensor"
)

// Record is one captured request and its answer.
type Record struct {
	// ID is assigned by the store (increasing); 0 before Append.
	ID        int64             `json:"id,omitempty"`
	RequestID string            `json:"request_id"`
	Model     string            `json:"model"`
	Version   int               `json:"version"`
	Time      time.Time         `json:"time"`
	Latency   time.Duration     `json:"latency_ns"`
	ClientID  string            `json:"client_id,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	// Inputs and Outputs are the tensors by name (as JSON: Tensor objects).
	Inputs  Payload `json:"inputs"`
	Outputs Payload `json:"outputs"`
	// Prediction is the predicted class of a single-row classifier answer:
	// its label when the model has labels, else its index ("" otherwise).
	Prediction string `json:"prediction,omitempty"`
	// Label is the feedback label joined to the record (nil without one).
	Label json.RawMessage `json:"label,omitempty"`
}

// Tensor is a captured tensor. A redacted one keeps its dtype and shape
// but not its data.
type Tensor struct {
	Datatype string          `json:"datatype"`
	Shape    []int           `json:"shape"`
	Data     json.RawMessage `json:"data,omitempty"`
	Redacted bool            `json:"redacted,omitempty"`
}

func appendJSONString(buf []byte, s string) ([]byte, error) {
	b, err := json.Marshal(s)
	return append(buf, b...), err
}

// DecodeTensors decodes a JSON object of Tensors (a marshalled Payload);
// redacted tensors are left out.
func DecodeTensors(raw json.RawMessage) (map[string]*tensor.Tensor, error) {
	var p Payload
	if err := p.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	return p.Tensors()
}

package monitor

import (
	"encoding/json"
	"fmt"
	"sort"
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
	// Inputs and Outputs are Tensors by name, as JSON (EncodeTensors).
	Inputs  json.RawMessage `json:"inputs"`
	Outputs json.RawMessage `json:"outputs"`
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

// EncodeTensors encodes ts as a JSON object of Tensors, in name order,
// leaving out the data of the names in redact.
func EncodeTensors(ts map[string]*tensor.Tensor, redact map[string]bool) []byte {
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	sort.Strings(names)
	buf := []byte{'{'}
	for i, n := range names {
		t := ts[n]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf, _ = appendJSONString(buf, n)
		buf = fmt.Appendf(buf, `:{"datatype":%q,"shape":`, t.DType().String())
		shape, _ := json.Marshal(t.Shape())
		buf = append(buf, shape...)
		if redact[n] {
			buf = append(buf, `,"redacted":true}`...)
			continue
		}
		buf = append(buf, `,"data":`...)
		buf = tensor.AppendJSON(buf, t)
		buf = append(buf, '}')
	}
	return append(buf, '}')
}

func appendJSONString(buf []byte, s string) ([]byte, error) {
	b, err := json.Marshal(s)
	return append(buf, b...), err
}

// DecodeTensors decodes what EncodeTensors wrote; redacted tensors are
// left out.
func DecodeTensors(raw json.RawMessage) (map[string]*tensor.Tensor, error) {
	var ts map[string]Tensor
	if err := json.Unmarshal(raw, &ts); err != nil {
		return nil, fmt.Errorf("captured tensors: %w", err)
	}
	out := make(map[string]*tensor.Tensor, len(ts))
	for name, t := range ts {
		if t.Redacted {
			continue
		}
		dt, err := tensor.ParseDType(t.Datatype)
		if err != nil {
			return nil, fmt.Errorf("captured tensor %q: %w", name, err)
		}
		v, err := tensor.FromJSON(t.Data, dt)
		if err != nil {
			return nil, fmt.Errorf("captured tensor %q: %w", name, err)
		}
		if v, err = v.Reshape(t.Shape...); err != nil {
			return nil, fmt.Errorf("captured tensor %q: %w", name, err)
		}
		out[name] = v
	}
	return out, nil
}

package v2

import (
	"encoding/json"
	"fmt"
	"math"
)

// The REST API's JSON objects. Tensor data is either "data" (JSON, flat or
// nested) or, with the binary tensor data extension, binary data after the
// JSON whose size is the binary_data_size parameter.

// InferRequest is the body of POST /v2/models/{m}[/versions/{v}]/infer.
type InferRequest struct {
	ID         string          `json:"id,omitempty"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Inputs     []RequestInput  `json:"inputs"`
	Outputs    []RequestOutput `json:"outputs,omitempty"`
}

// RequestInput is one input tensor of a request.
type RequestInput struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// RequestOutput asks for one output, with parameters such as binary_data
// and classification.
type RequestOutput struct {
	Name       string     `json:"name"`
	Parameters Parameters `json:"parameters,omitempty"`
}

// InferResponse is the answer to an inference request.
type InferResponse struct {
	ModelName    string           `json:"model_name"`
	ModelVersion string           `json:"model_version,omitempty"`
	ID           string           `json:"id,omitempty"`
	Parameters   Parameters       `json:"parameters,omitempty"`
	Outputs      []ResponseOutput `json:"outputs"`
}

// ResponseOutput is one output tensor of a response.
type ResponseOutput struct {
	Name       string          `json:"name"`
	Datatype   string          `json:"datatype"`
	Shape      []int64         `json:"shape"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// ServerMetadata is the answer to GET /v2.
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// ModelMetadata is the answer to GET /v2/models/{m}[/versions/{v}].
type ModelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions,omitempty"`
	Platform string           `json:"platform"`
	Inputs   []TensorMetadata `json:"inputs"`
	Outputs  []TensorMetadata `json:"outputs"`
}

// TensorMetadata describes a model input or output; -1 marks a variable
// dimension.
type TensorMetadata struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// Live is the answer to GET /v2/health/live.
type Live struct {
	Live bool `json:"live"`
}

// Ready is the answer to GET /v2/health/ready.
type Ready struct {
	Ready bool `json:"ready"`
}

// ModelReady is the answer to GET /v2/models/{m}[/versions/{v}]/ready.
type ModelReady struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
}

// Error is the body of every error answer.
type Error struct {
	Error string `json:"error"`
}

// Parameter names of the protocol and its extensions.
const (
	// ParamBinaryDataSize is the size of a tensor's binary data.
	ParamBinaryDataSize = "binary_data_size"
	// ParamBinaryData asks for one output as binary data.
	ParamBinaryData = "binary_data"
	// ParamBinaryDataOutput asks for every output as binary data.
	ParamBinaryDataOutput = "binary_data_output"
	// ParamClassification asks for an output as its top classes.
	ParamClassification = "classification"
)

// NothingToRank is in the message of the 400 answer to a request-level
// classification parameter for a model that has no score output to rank
// (one that, such as a pipeline reading a number, answers other things):
// clients that asked for classes on the server's choice can tell that
// answer from other refusals and ask for the outputs instead.
const NothingToRank = "has no score output to rank"

// Extensions are the protocol extensions inferd implements, as listed in
// the server metadata.
var Extensions = []string{"binary_tensor_data", "classification"}

// Parameters are the key/value parameters of requests, tensors and
// responses: booleans, numbers or strings.
type Parameters map[string]any

// Bool returns a boolean parameter, false when absent.
func (p Parameters) Bool(key string) (bool, error) {
	v, ok := p[key]
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, invalidf("parameter %q must be a boolean, got %s", key, describe(v))
	}
	return b, nil
}

// Int returns a non-negative integer parameter and whether it is present.
func (p Parameters) Int(key string) (int64, bool, error) {
	v, ok := p[key]
	if !ok {
		return 0, false, nil
	}
	var f float64
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err == nil && n >= 0 {
			return n, true, nil
		}
		return 0, true, invalidf("parameter %q must be a non-negative integer, got %s", key, x)
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	default:
		return 0, true, invalidf("parameter %q must be a non-negative integer, got %s", key, describe(v))
	}
	if f < 0 || f != math.Trunc(f) || f > 1<<53 {
		return 0, true, invalidf("parameter %q must be a non-negative integer, got %v", key, f)
	}
	return int64(f), true, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string " + quote(x)
	case bool:
		return fmt.Sprint(x)
	case json.Number:
		return "number " + x.String()
	case float64:
		return fmt.Sprint("number ", x)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%v", v)
}

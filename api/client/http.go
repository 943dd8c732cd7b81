package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/tensor"
)

// httpTransport speaks the REST binding.
type httpTransport struct {
	base string
	hc   *http.Client
}

// NewHTTP returns a REST client for a server's base URL
// (http://host:port).
func NewHTTP(baseURL string) (*Client, error) {
	if !strings.HasPrefix(baseURL, "http://") && !strings.HasPrefix(baseURL, "https://") {
		return nil, fmt.Errorf("base URL %q: want http:// or https://", baseURL)
	}
	return &Client{t: &httpTransport{base: strings.TrimRight(baseURL, "/"), hc: &http.Client{}}}, nil
}

func (h *httpTransport) close() error {
	h.hc.CloseIdleConnections()
	return nil
}

// do sends a request and returns the answer's body, or an *Error for a
// status other than 200.
func (h *httpTransport) do(ctx context.Context, method, path string, header http.Header, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e v2.Error
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return resp, nil, &Error{HTTPStatus: resp.StatusCode, Message: e.Error}
	}
	return resp, b, nil
}

func (h *httpTransport) getJSON(ctx context.Context, path string, v any) error {
	_, b, err := h.do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: answer is not the expected JSON: %w", path, err)
	}
	return nil
}

// probe is a health check: 200 is true, 503 false, other answers errors.
func (h *httpTransport) probe(ctx context.Context, path string) (bool, error) {
	_, _, err := h.do(ctx, http.MethodGet, path, nil, nil)
	var e *Error
	if errors.As(err, &e) && e.HTTPStatus == http.StatusServiceUnavailable {
		return false, nil
	}
	return err == nil, err
}

func (h *httpTransport) live(ctx context.Context) (bool, error) {
	return h.probe(ctx, "/v2/health/live")
}

func (h *httpTransport) ready(ctx context.Context) (bool, error) {
	return h.probe(ctx, "/v2/health/ready")
}

func (h *httpTransport) serverMetadata(ctx context.Context) (*v2.ServerMetadata, error) {
	var md v2.ServerMetadata
	return &md, h.getJSON(ctx, "/v2", &md)
}

func (h *httpTransport) modelReady(ctx context.Context, model, version string) (bool, error) {
	return h.probe(ctx, modelPath(model, version)+"/ready")
}

func (h *httpTransport) modelMetadata(ctx context.Context, model, version string) (*v2.ModelMetadata, error) {
	var md v2.ModelMetadata
	if err := h.getJSON(ctx, modelPath(model, version), &md); err != nil {
		return nil, err
	}
	return &md, nil
}

func (h *httpTransport) infer(ctx context.Context, req *InferRequest) (*InferResponse, error) {
	body, err := EncodeREST(req)
	if err != nil {
		return nil, err
	}
	header := http.Header{"Content-Type": {body.ContentType}}
	if body.HeaderLength != "" {
		header.Set(v2.HeaderContentLength, body.HeaderLength)
	}
	resp, b, err := h.do(ctx, http.MethodPost, modelPath(req.Model, req.Version)+"/infer", header, body.Data)
	if err != nil {
		return nil, err
	}
	return DecodeREST(resp.Header.Get(v2.HeaderContentLength), b)
}

// RESTBody is an inference request encoded for the v2 REST protocol.
type RESTBody struct {
	Data        []byte
	ContentType string
	// HeaderLength is the Inference-Header-Content-Length value when the
	// body uses the binary tensor extension, else "".
	HeaderLength string
}

// EncodeREST encodes req as the client sends it over REST: JSON, with the
// binary tensor extension for req.Binary and for BYTES that are not UTF-8.
// Load generators encode once and send the body many times.
func EncodeREST(req *InferRequest) (RESTBody, error) {
	body := v2.InferRequest{ID: req.ID, Inputs: make([]v2.RequestInput, len(req.Inputs))}
	var (
		bin    []byte
		binary bool
		err    error
	)
	for i, in := range req.Inputs {
		asBinary := req.Binary || in.Tensor.DType() == tensor.String && !validUTF8(in.Tensor)
		ri := v2.RequestInput{Name: in.Name, Shape: v2.WireShape(in.Tensor.Shape()), Datatype: in.Tensor.DType().String()}
		if ri.Parameters, ri.Data, bin, err = v2.EncodeTensor(in.Tensor, asBinary, nil, bin); err != nil {
			return RESTBody{}, fmt.Errorf("input %q: %w", in.Name, err)
		}
		binary = binary || asBinary
		body.Inputs[i] = ri
	}
	for _, o := range req.Outputs {
		ro := v2.RequestOutput{Name: o.Name, Parameters: v2.Parameters{}}
		if o.Classification > 0 {
			ro.Parameters[v2.ParamClassification] = o.Classification
		}
		if req.Binary {
			ro.Parameters[v2.ParamBinaryData] = true
		}
		body.Outputs = append(body.Outputs, ro)
	}
	if req.Binary && len(req.Outputs) == 0 {
		body.Parameters = v2.Parameters{v2.ParamBinaryDataOutput: true}
	}
	if req.Classification > 0 {
		if body.Parameters == nil {
			body.Parameters = v2.Parameters{}
		}
		body.Parameters[v2.ParamClassification] = req.Classification
	}
	head, err := json.Marshal(body)
	if err != nil {
		return RESTBody{}, err
	}
	if !binary {
		return RESTBody{Data: head, ContentType: "application/json"}, nil
	}
	return RESTBody{Data: append(head, bin...), ContentType: "application/octet-stream", HeaderLength: strconv.Itoa(len(head))}, nil
}

// DecodeREST decodes an inference answer received over REST: its body and
// its Inference-Header-Content-Length header ("" for a JSON answer).
// Clients with their own HTTP transport, such as benchmarks, decode with it.
func DecodeREST(headerLen string, body []byte) (*InferResponse, error) {
	head, rest, err := v2.SplitBody(body, headerLen)
	if err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	var ans v2.InferResponse
	if err := json.Unmarshal(head, &ans); err != nil {
		return nil, fmt.Errorf("answer is not an inference response: %w", err)
	}
	var data *v2.BinaryData
	if headerLen != "" {
		data = v2.NewBinaryData(rest)
	}
	res := &InferResponse{Model: ans.ModelName, Version: ans.ModelVersion, ID: ans.ID, Outputs: make([]Output, len(ans.Outputs))}
	for i := range ans.Outputs {
		t, err := ans.Outputs[i].Tensor(data)
		if err != nil {
			return nil, fmt.Errorf("answer: %w", err)
		}
		res.Outputs[i] = Output{Name: ans.Outputs[i].Name, Tensor: t}
	}
	if err := data.Done(); err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	return res, nil
}

func validUTF8(t *tensor.Tensor) bool {
	for _, s := range tensor.Data[string](t) {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

package client

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"google.golang.org/grpc/codes"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/tensor"
)

// Client talks to an inference server over REST or gRPC. It is safe for
// concurrent use.
type Client struct {
	t transport
}

// transport is one protocol binding.
type transport interface {
	live(ctx context.Context) (bool, error)
	ready(ctx context.Context) (bool, error)
	serverMetadata(ctx context.Context) (*v2.ServerMetadata, error)
	modelReady(ctx context.Context, model, version string) (bool, error)
	modelMetadata(ctx context.Context, model, version string) (*v2.ModelMetadata, error)
	infer(ctx context.Context, req *InferRequest) (*InferResponse, error)
	close() error
}

// New returns a client for a server URL: http:// or https:// for REST,
// grpc:// for gRPC (without TLS).
func New(serverURL string) (*Client, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", serverURL, err)
	}
	switch u.Scheme {
	case "http", "https":
		return NewHTTP(serverURL)
	case "grpc":
		if u.Host == "" {
			return nil, fmt.Errorf("server URL %q has no host:port", serverURL)
		}
		return NewGRPC(u.Host)
	}
	return nil, fmt.Errorf("server URL %q: want http://, https:// or grpc://", serverURL)
}

// Close releases the client's connections.
func (c *Client) Close() error { return c.t.close() }

// ServerLive reports whether the server is live.
func (c *Client) ServerLive(ctx context.Context) (bool, error) { return c.t.live(ctx) }

// ServerReady reports whether every model of the server can serve.
func (c *Client) ServerReady(ctx context.Context) (bool, error) { return c.t.ready(ctx) }

// ServerMetadata returns the server's name, version and extensions.
func (c *Client) ServerMetadata(ctx context.Context) (*v2.ServerMetadata, error) {
	return c.t.serverMetadata(ctx)
}

// ModelReady reports whether a model version ("" for the server's choice)
// can serve. Unknown models and versions are errors.
func (c *Client) ModelReady(ctx context.Context, model, version string) (bool, error) {
	return c.t.modelReady(ctx, model, version)
}

// ModelMetadata describes a model version ("" for the server's choice).
func (c *Client) ModelMetadata(ctx context.Context, model, version string) (*v2.ModelMetadata, error) {
	return c.t.modelMetadata(ctx, model, version)
}

// Infer runs a model.
func (c *Client) Infer(ctx context.Context, req *InferRequest) (*InferResponse, error) {
	if req.Model == "" {
		return nil, fmt.Errorf("infer: no model name")
	}
	if len(req.Inputs) == 0 {
		return nil, fmt.Errorf("infer: no inputs")
	}
	return c.t.infer(ctx, req)
}

// Input is a named input tensor.
type Input struct {
	Name   string
	Tensor *tensor.Tensor
}

// RequestedOutput asks for one output.
type RequestedOutput struct {
	Name string
	// Classification > 0 asks for the top classes instead of the tensor:
	// a BYTES tensor of "score:index[:label]" strings (see
	// ParseClassifications).
	Classification int
}

// InferRequest is an inference request.
type InferRequest struct {
	Model   string
	Version string // "" for the server's choice
	ID      string // echoed in the response
	Inputs  []Input
	// Outputs to return; empty for all of them.
	Outputs []RequestedOutput
	// Classification > 0, with no Outputs, asks for the model's score
	// output (as its config.yaml ranks it) as its top classes: the
	// classification parameter on the request, an inferd extension.
	Classification int
	// Binary sends and receives tensors as binary data: the binary tensor
	// data extension over REST, raw contents over gRPC. Over REST, BYTES
	// inputs that are not valid UTF-8 (encoded images) are always sent as
	// binary data.
	Binary bool
}

// Output is a named output tensor.
type Output struct {
	Name   string
	Tensor *tensor.Tensor
}

// InferResponse is the answer to an inference request.
type InferResponse struct {
	Model   string
	Version string
	ID      string
	Outputs []Output
}

// Output returns the named output, or nil.
func (r *InferResponse) Output(name string) *tensor.Tensor {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o.Tensor
		}
	}
	return nil
}

// Error is an error answer from the server.
type Error struct {
	// HTTPStatus is the status of a REST answer (0 over gRPC).
	HTTPStatus int
	// Code is the status code of a gRPC answer (OK over REST).
	Code codes.Code
	// Message is the server's message.
	Message string
}

func (e *Error) Error() string {
	if e.HTTPStatus != 0 {
		return fmt.Sprintf("server answered %d: %s", e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("server answered %s: %s", e.Code, e.Message)
}

// modelPath is /v2/models/{model}[/versions/{version}].
func modelPath(model, version string) string {
	p := "/v2/models/" + url.PathEscape(model)
	if version != "" {
		p += "/versions/" + url.PathEscape(version)
	}
	return p
}

// SplitModel splits "MODEL[/VERSION]".
func SplitModel(s string) (model, version string) {
	model, version, _ = strings.Cut(s, "/")
	return model, version
}

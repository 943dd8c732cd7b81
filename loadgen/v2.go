package loadgen

import (
	"context"
	"fmt"
	"net/url"

	"github.com/inferd/inferd/api/client"
	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/tensor"
)

// imageTopK is the number of classes asked for an image over v2, as
// `inferd predict` asks by default.
const imageTopK = 5

// v2Requests turns inputs into Open Inference Protocol requests for the
// model described by md. An image becomes a BYTES tensor of shape [1] for
// the model's only input, with the top classes of its only output asked
// through the classification extension (as api/client's ClassifyImages
// does); a JSON file is parsed by client.ParseRequestJSON.
func v2Requests(c TargetConfig, md *v2.ModelMetadata) ([]*client.InferRequest, error) {
	reqs := make([]*client.InferRequest, 0, len(c.Inputs))
	for _, in := range c.Inputs {
		var req *client.InferRequest
		if imageType(in.Data) != "" {
			if len(md.Inputs) != 1 {
				return nil, fmt.Errorf("%s: model %q has %d inputs; an image can only be sent to a model with one input", in.Name, c.Model, len(md.Inputs))
			}
			t, err := tensor.FromSlice([]string{string(in.Data)}, 1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", in.Name, err)
			}
			req = &client.InferRequest{Inputs: []client.Input{{Name: md.Inputs[0].Name, Tensor: t}}, Binary: true}
			if len(md.Outputs) == 1 {
				req.Outputs = []client.RequestedOutput{{Name: md.Outputs[0].Name, Classification: imageTopK}}
			}
		} else {
			var err error
			if req, err = client.ParseRequestJSON(in.Data, md); err != nil {
				return nil, fmt.Errorf("%s: %w", in.Name, err)
			}
		}
		req.Model, req.Version = c.Model, c.Version
		reqs = append(reqs, req)
	}
	return reqs, nil
}

// newV2Target prepares Open Inference Protocol requests over REST. The
// bodies are encoded here, once, the way api/client encodes them: BYTES
// that are not UTF-8 (images) and requests that ask for binary data use the
// binary tensor data extension, the rest JSON.
func newV2Target(ctx context.Context, c TargetConfig) (Target, error) {
	base, err := baseURL(c.URL)
	if err != nil {
		return nil, err
	}
	md, err := modelMetadata(ctx, c, base)
	if err != nil {
		return nil, err
	}
	reqs, err := v2Requests(c, md)
	if err != nil {
		return nil, err
	}
	path := "/v2/models/" + url.PathEscape(c.Model)
	if c.Version != "" {
		path += "/versions/" + url.PathEscape(c.Version)
	}
	t := newHTTPTarget(base, path+"/infer", c.MaxConns)
	for i, req := range reqs {
		b, err := encodeV2REST(req)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Inputs[i].Name, err)
		}
		t.add(b)
	}
	return t, nil
}

// modelMetadata asks the server (through api/client) for the model's
// metadata.
func modelMetadata(ctx context.Context, c TargetConfig, serverURL string) (*v2.ModelMetadata, error) {
	cl, err := client.New(serverURL)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	md, err := cl.ModelMetadata(ctx, c.Model, c.Version)
	if err != nil {
		return nil, fmt.Errorf("metadata of model %q: %w", c.Model, err)
	}
	return md, nil
}

// encodeV2REST encodes a request as api/client sends it over REST.
func encodeV2REST(req *client.InferRequest) (httpBody, error) {
	b, err := client.EncodeREST(req)
	if err != nil {
		return httpBody{}, err
	}
	return httpBody{data: b.Data, contentType: b.ContentType, headerLen: b.HeaderLength}, nil
}

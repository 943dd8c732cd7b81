package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/tensor"
)

// Classification is one ranked class.
type Classification struct {
	Label string // "" when the model has no labels
	Index int
	Score float64
}

// ParseClassifications parses an output of the classification extension,
// a BYTES tensor of "score:index[:label]" strings of shape [k] or [batch, k],
// into one list of classes per row.
func ParseClassifications(t *tensor.Tensor) ([][]Classification, error) {
	if t.DType() != tensor.String || t.Rank() < 1 || t.Rank() > 2 {
		return nil, fmt.Errorf("classification output is %v, want BYTES of shape [k] or [batch, k]", t)
	}
	k, n := t.Shape()[t.Rank()-1], 1
	if t.Rank() == 2 {
		n = t.Shape()[0]
	}
	data := tensor.Data[string](t)
	rows := make([][]Classification, n)
	for r := range rows {
		rows[r] = make([]Classification, k)
		for j, s := range data[r*k : (r+1)*k] {
			c, err := parseClassification(s)
			if err != nil {
				return nil, err
			}
			rows[r][j] = c
		}
	}
	return rows, nil
}

func parseClassification(s string) (Classification, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return Classification{}, fmt.Errorf("classification %q is not score:index[:label]", s)
	}
	score, err := strconv.ParseFloat(parts[0], 64)
	if err != nil {
		return Classification{}, fmt.Errorf("classification %q: bad score: %w", s, err)
	}
	index, err := strconv.Atoi(parts[1])
	if err != nil {
		return Classification{}, fmt.Errorf("classification %q: bad index: %w", s, err)
	}
	c := Classification{Index: index, Score: score}
	if len(parts) == 3 {
		c.Label = parts[2]
	}
	return c, nil
}

// ImageRequest asks for the top classes of encoded images.
type ImageRequest struct {
	Model   string
	Version string // "" for the server's choice
	// Images are encoded image files (PNG, JPEG or WebP), run as one batch.
	Images [][]byte
	// TopK is the number of classes per image (default 5).
	TopK int
	// Input is the image input and Output the score output; "" for the
	// model's only input, and for its only output or else the output its
	// config.yaml ranks (the server picks it).
	Input, Output string
}

// ClassifyImages sends images to a model whose config has image
// preprocessing, as a BYTES tensor of shape [N] for its image input, and
// returns the top classes of each image through the classification
// extension.
func (c *Client) ClassifyImages(ctx context.Context, req *ImageRequest) ([][]Classification, error) {
	if len(req.Images) == 0 {
		return nil, fmt.Errorf("no images")
	}
	input, output, err := c.imageIO(ctx, req, true)
	if err != nil {
		return nil, err
	}
	k := req.TopK
	if k <= 0 {
		k = 5
	}
	ir := &InferRequest{Model: req.Model, Version: req.Version, Inputs: []Input{{Name: input, Tensor: imagesTensor(req.Images...)}}, Binary: true}
	if output != "" {
		ir.Outputs = []RequestedOutput{{Name: output, Classification: k}}
	} else {
		ir.Classification = k // the server knows the score output of a model of several
	}
	res, err := c.Infer(ctx, ir)
	if err != nil {
		return nil, err
	}
	t := res.Output(output)
	if output == "" && len(res.Outputs) == 1 {
		t = res.Outputs[0].Tensor
	}
	if t == nil {
		return nil, fmt.Errorf("answer has no output %q", output)
	}
	rows, err := ParseClassifications(t)
	if err != nil {
		return nil, err
	}
	if len(rows) != len(req.Images) {
		return nil, fmt.Errorf("answer classifies %d images, sent %d", len(rows), len(req.Images))
	}
	return rows, nil
}

// imageIO is the image input of req and, if scores, its score output: as
// given, or the model's only input, and its only output ("" for the
// server's choice).
func (c *Client) imageIO(ctx context.Context, req *ImageRequest, scores bool) (input, output string, err error) {
	input, output = req.Input, req.Output
	if input != "" && (output != "" || !scores) {
		return input, output, nil
	}
	md, err := c.ModelMetadata(ctx, req.Model, req.Version)
	if err != nil {
		return "", "", err
	}
	if input == "" {
		if input, err = only("input", md.Inputs); err != nil {
			return "", "", fmt.Errorf("model %q: %w", req.Model, err)
		}
	}
	if scores && output == "" && len(md.Outputs) == 1 {
		output = md.Outputs[0].Name
	}
	return input, output, nil
}

// imagesTensor holds encoded images as a BYTES tensor of shape [N].
func imagesTensor(images ...[]byte) *tensor.Tensor {
	data := make([]string, len(images))
	for i, img := range images {
		data[i] = string(img)
	}
	return tensor.MustFromSlice(data, len(data))
}

// IsNothingToRank reports whether err is the server's refusal to rank
// the score output of a model that has none (v2.NothingToRank): the model
// answers other things, which InferImages asks for.
func IsNothingToRank(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.HTTPStatus == http.StatusBadRequest || e.Code == codes.InvalidArgument) &&
		strings.Contains(e.Message, v2.NothingToRank)
}

// InferImages sends each image alone (a BYTES tensor of shape [1]) to the
// model's image input and returns each answer with all the model's
// outputs: for a model that takes images but ranks nothing, such as a
// pipeline that reads a number, what the seed routes' image POST answers.
// req.Output and req.TopK are not used.
func (c *Client) InferImages(ctx context.Context, req *ImageRequest) ([]*InferResponse, error) {
	if len(req.Images) == 0 {
		return nil, fmt.Errorf("no images")
	}
	input, _, err := c.imageIO(ctx, req, false)
	if err != nil {
		return nil, err
	}
	out := make([]*InferResponse, len(req.Images))
	for i, img := range req.Images {
		ir := &InferRequest{Model: req.Model, Version: req.Version, Inputs: []Input{{Name: input, Tensor: imagesTensor(img)}}, Binary: true}
		if out[i], err = c.Infer(ctx, ir); err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
	}
	return out, nil
}

func only(what string, ts []v2.TensorMetadata) (string, error) {
	if len(ts) != 1 {
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = t.Name
		}
		return "", fmt.Errorf("it has %d %ss %v; name the one to use", len(ts), what, names)
	}
	return ts[0].Name, nil
}

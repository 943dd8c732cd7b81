package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/tensor"
)

// imageTypes are the Content-Types of a raw image body; the format itself
// is detected from the bytes.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true, "application/octet-stream": true}

const supportedTypes = "image/png, image/jpeg, image/webp, multipart/form-data (image files) or application/json"

type imageAnswer struct {
	Model       string             `json:"model"`
	Version     string             `json:"version"`
	Predictions []codec.Prediction `json:"predictions"`
}

// fileResult is one file's answer: its predictions, or the outputs of a
// model that ranks nothing.
type fileResult struct {
	File        string                     `json:"file"`
	Predictions []codec.Prediction         `json:"predictions,omitempty"`
	Outputs     map[string]json.RawMessage `json:"outputs,omitempty"`
}

type multipartAnswer struct {
	Model   string       `json:"model"`
	Version string       `json:"version"`
	Results []fileResult `json:"results"`
}

type tensorRequest struct {
	Inputs map[string]json.RawMessage `json:"inputs"`
}

type tensorAnswer struct {
	Model       string                     `json:"model"`
	Version     string                     `json:"version"`
	Outputs     map[string]json.RawMessage `json:"outputs"`
	Predictions [][]codec.Prediction       `json:"predictions,omitempty"`
}

// predict serves POST /models/{name}/{version} and POST /models/{name}
// (the default version, or the model's traffic split).
func (s *Server) predict(r *http.Request, info *reqInfo) (any, error) {
	v, release, err := s.acquireRef(r.PathValue("name"), r.PathValue("version"), info)
	if err != nil {
		return nil, err
	}
	defer release()
	if r.ContentLength > s.maxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, s.maxBody)
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, errorf(http.StatusUnsupportedMediaType, "missing Content-Type; send %s", supportedTypes)
	}
	mediaType, params, err := parseMediaType(ct)
	if err != nil {
		return nil, errorf(http.StatusUnsupportedMediaType, "bad Content-Type %q: %v", ct, err)
	}
	switch {
	case imageTypes[mediaType]:
		return s.predictImage(r, v)
	case mediaType == "multipart/form-data":
		return s.predictMultipart(r, v, params["boundary"])
	case mediaType == "application/json":
		return s.predictTensors(r, v)
	}
	return nil, errorf(http.StatusUnsupportedMediaType, "unsupported Content-Type %q; send %s", mediaType, supportedTypes)
}

// parseMediaType is mime.ParseMediaType, without its work (and its
// parameter map) for the plain types the routes take.
func parseMediaType(ct string) (string, map[string]string, error) {
	if ct == "application/json" || imageTypes[ct] {
		return ct, nil, nil
	}
	return mime.ParseMediaType(ct)
}

func (s *Server) predictImage(r *http.Request, v *serving.Version) (any, error) {
	data, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, errorf(http.StatusBadRequest, "empty request body; send the image bytes")
	}
	// A model that takes images but does not classify them (such as a
	// pipeline that reads a number) answers with its outputs.
	rank := v.Codec().IsClassifier()
	res, err := v.Infer(r.Context(), &serving.Request{Images: [][]byte{data}, Predictions: rank, MaxPixels: s.maxPixels, Charge: reservationOf(r.Context()).chargeFunc()})
	if err != nil {
		return nil, err
	}
	if !rank {
		return outputsAnswer(v, res), nil
	}
	return imageAnswer{Model: v.ModelName, Version: v.Label(), Predictions: res.Predictions[0]}, nil
}

// outputsAnswer is the seed routes' answer of outputs as nested arrays.
func outputsAnswer(v *serving.Version, res *serving.Response) tensorAnswer {
	return tensorAnswer{Model: v.ModelName, Version: v.Label(), Outputs: outputsJSON(res), Predictions: res.Predictions}
}

// outputsJSON are a response's outputs as nested arrays, by name.
func outputsJSON(res *serving.Response) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(res.Outputs))
	for _, o := range res.Outputs {
		out[o.Name] = tensor.AppendJSON(nil, o.Tensor)
	}
	return out
}

// predictMultipart answers the files of a multipart body, in one batch
// under one pixel budget. A model that takes images but ranks nothing
// (such as a pipeline that reads a number) runs each file alone, as its
// image POST would (a batch of one, which such a model may be fixed to),
// still under the request's one budget, and answers each file with the
// outputs that POST answers.
func (s *Server) predictMultipart(r *http.Request, v *serving.Version, boundary string) (any, error) {
	if boundary == "" {
		return nil, errorf(http.StatusBadRequest, "multipart/form-data Content-Type has no boundary parameter")
	}
	names, files, err := readFiles(multipart.NewReader(r.Body, boundary))
	if err != nil {
		return nil, err
	}
	fileNames := make([]string, len(names))
	for i, n := range names {
		fileNames[i] = fmt.Sprintf("file %q", n)
	}
	req := &serving.Request{Images: files, ImageNames: fileNames, MaxPixels: s.maxPixels, Charge: reservationOf(r.Context()).chargeFunc()}
	ans := multipartAnswer{Model: v.ModelName, Version: v.Label(), Results: make([]fileResult, len(files))}
	if !v.Codec().IsClassifier() {
		each, err := v.InferEach(r.Context(), req)
		if err != nil {
			return nil, err
		}
		for i, res := range each {
			ans.Results[i] = fileResult{File: names[i], Outputs: outputsJSON(res)}
		}
		return ans, nil
	}
	req.Predictions = true
	res, err := v.Infer(r.Context(), req)
	if err != nil {
		return nil, err
	}
	for i := range files {
		ans.Results[i] = fileResult{File: names[i], Predictions: res.Predictions[i]}
	}
	return ans, nil
}

// readFiles reads the image files of a multipart body, in order; more
// than codec.MaxImages parts are refused (413) as soon as the next one
// starts.
func readFiles(mr *multipart.Reader) (names []string, files [][]byte, err error) {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, readError(fmt.Errorf("reading multipart body: %w", err))
		}
		if len(files) == codec.MaxImages {
			return nil, nil, errorf(http.StatusRequestEntityTooLarge, "multipart body has more than %d parts, the limit of images per request", codec.MaxImages)
		}
		name := part.FileName()
		if name == "" {
			if !strings.HasPrefix(part.Header.Get("Content-Type"), "image/") {
				return nil, nil, errorf(http.StatusBadRequest, "multipart field %q is not a file; send images as file parts", part.FormName())
			}
			name = part.FormName()
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, readError(fmt.Errorf("reading file %q: %w", name, err))
		}
		names, files = append(names, name), append(files, data)
	}
	if len(files) == 0 {
		return nil, nil, errorf(http.StatusBadRequest, "multipart body has no image files")
	}
	return names, files, nil
}

func (s *Server) predictTensors(r *http.Request, v *serving.Version) (any, error) {
	res := reservationOf(r.Context())
	if err := res.charge(2*s.bodyEstimate(r), "decoding the request JSON"); err != nil {
		return nil, err
	}
	raws, err := decodeTensorRequest(r.Body, r.ContentLength)
	if err != nil {
		return nil, err
	}
	if len(raws) == 0 {
		return nil, errorf(http.StatusBadRequest, `request has no "inputs"; send {"inputs": {"<input name>": <nested array>}}`)
	}
	inputs, err := namedInputs(res, v, raws, false)
	if err != nil {
		return nil, err
	}
	out, err := v.Infer(r.Context(), &serving.Request{Inputs: inputs, Predictions: true, MaxPixels: s.maxPixels, Charge: res.chargeFunc()})
	if err != nil {
		return nil, err
	}
	return outputsAnswer(v, out), nil
}

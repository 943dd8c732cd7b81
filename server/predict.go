package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/preprocess"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// imageTypes are the Content-Types of a raw image body; the format itself
// is detected from the bytes.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/webp": true, "application/octet-stream": true}

const supportedTypes = "image/png, image/jpeg, image/webp, multipart/form-data (image files) or application/json"

type imageAnswer struct {
	Model       string                  `json:"model"`
	Version     string                  `json:"version"`
	Predictions []preprocess.Prediction `json:"predictions"`
}

type fileResult struct {
	File        string                  `json:"file"`
	Predictions []preprocess.Prediction `json:"predictions"`
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
	Predictions [][]preprocess.Prediction  `json:"predictions,omitempty"`
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
	mediaType, params, err := mime.ParseMediaType(ct)
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

func (s *Server) predictImage(r *http.Request, v *serving.Version) (any, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, readError(err)
	}
	if len(data) == 0 {
		return nil, errorf(http.StatusBadRequest, "empty request body; send the image bytes")
	}
	img, err := preprocess.DecodeImage(data, s.maxPixels)
	if err != nil {
		return nil, err
	}
	preds, err := v.ClassifyImages(r.Context(), []image.Image{img})
	if err != nil {
		return nil, err
	}
	return imageAnswer{Model: v.Model, Version: v.Label(), Predictions: preds[0]}, nil
}

func (s *Server) predictMultipart(r *http.Request, v *serving.Version, boundary string) (any, error) {
	if boundary == "" {
		return nil, errorf(http.StatusBadRequest, "multipart/form-data Content-Type has no boundary parameter")
	}
	mr := multipart.NewReader(r.Body, boundary)
	var (
		names []string
		imgs  []image.Image
	)
	budget := s.maxPixels // pixels left for this request
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readError(fmt.Errorf("reading multipart body: %w", err))
		}
		name := part.FileName()
		if name == "" {
			if !strings.HasPrefix(part.Header.Get("Content-Type"), "image/") {
				return nil, errorf(http.StatusBadRequest, "multipart field %q is not a file; send images as file parts", part.FormName())
			}
			name = part.FormName()
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, readError(fmt.Errorf("reading file %q: %w", name, err))
		}
		img, err := preprocess.DecodeImage(data, budget)
		if err != nil {
			return nil, fmt.Errorf("file %q: %w", name, err)
		}
		budget -= img.Bounds().Dx() * img.Bounds().Dy()
		names = append(names, name)
		imgs = append(imgs, img)
	}
	if len(imgs) == 0 {
		return nil, errorf(http.StatusBadRequest, "multipart body has no image files")
	}
	preds, err := v.ClassifyImages(r.Context(), imgs)
	if err != nil {
		return nil, err
	}
	ans := multipartAnswer{Model: v.Model, Version: v.Label(), Results: make([]fileResult, len(imgs))}
	for i := range imgs {
		ans.Results[i] = fileResult{File: names[i], Predictions: preds[i]}
	}
	return ans, nil
}

func (s *Server) predictTensors(r *http.Request, v *serving.Version) (any, error) {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var req tensorRequest
	if err := dec.Decode(&req); err != nil {
		return nil, jsonError(err)
	}
	if dec.More() {
		return nil, errorf(http.StatusBadRequest, "request body has data after the JSON object")
	}
	if len(req.Inputs) == 0 {
		return nil, errorf(http.StatusBadRequest, `request has no "inputs"; send {"inputs": {"<input name>": <nested array>}}`)
	}
	declared := v.Inputs()
	inputs := make(map[string]*tensor.Tensor, len(req.Inputs))
	for name, raw := range req.Inputs {
		var dt tensor.DType
		for _, in := range declared {
			if in.Name == name {
				dt = in.DType
			}
		}
		if dt == tensor.Invalid {
			return nil, fmt.Errorf("%w: unknown input %q (model inputs: %v)", engine.ErrInvalidInput, name, engine.InfoNames(declared))
		}
		t, err := tensor.FromJSON(raw, dt)
		if err != nil {
			return nil, fmt.Errorf("input %q (%v): %w", name, dt, err)
		}
		inputs[name] = t
	}
	outs, err := v.Run(r.Context(), inputs)
	if err != nil {
		return nil, err
	}
	ans := tensorAnswer{Model: v.Model, Version: v.Label(), Outputs: make(map[string]json.RawMessage, len(outs))}
	for name, t := range outs {
		ans.Outputs[name] = tensor.AppendJSON(nil, t)
	}
	if ans.Predictions, err = v.Classify(outs); err != nil {
		return nil, err
	}
	return ans, nil
}

// readError keeps body-limit errors (413) and turns other read failures
// into 400.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return errorf(http.StatusBadRequest, "%v", err)
}

// jsonError describes a JSON decoding failure.
func jsonError(err error) error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "empty request body; send a JSON object")
	case errors.As(err, &syntax):
		return errorf(http.StatusBadRequest, "request body is not valid JSON: %v (at byte %d)", err, syntax.Offset)
	case errors.As(err, &typ):
		return errorf(http.StatusBadRequest, "request JSON has the wrong type at %q: want %v", typ.Field, typ.Type)
	}
	return errorf(http.StatusBadRequest, "request body is not valid JSON: %v", err)
}

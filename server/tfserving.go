package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// TensorFlow Serving's REST API: model status, metadata, and :predict,
// :classify and :regress. Errors are {"error": "..."}, as TF Serving
// answers them.

func (s *Server) tfRoutes(mux *http.ServeMux) {
	h := func(pattern string, fn apiFunc) { s.handleProtocol(mux, protoTFServing, pattern, fn) }
	h("GET /v1/models/{name}", s.tfStatus)
	h("GET /v1/models/{name}/versions/{version}", s.tfStatus)
	h("GET /v1/models/{name}/labels/{label}", s.tfStatus)
	h("GET /v1/models/{name}/metadata", s.tfMetadata)
	h("GET /v1/models/{name}/versions/{version}/metadata", s.tfMetadata)
	h("GET /v1/models/{name}/labels/{label}/metadata", s.tfMetadata)
	// The verb ends the last segment: /v1/models/digits:predict,
	// /v1/models/digits/versions/1:classify, .../labels/production:regress.
	h("POST /v1/models/{name}", s.tfVerb)
	h("POST /v1/models/{name}/versions/{version}", s.tfVerb)
	h("POST /v1/models/{name}/labels/{label}", s.tfVerb)
}

// tfRef checks the version or label of a path and returns it as a
// reference: a version must be a number, a label one of the model's labels.
func (s *Server) tfRef(name, version, label string) (string, error) {
	if label != "" {
		m, err := s.models.Model(name)
		if err != nil {
			return "", err
		}
		if _, ok := m.Labels()[label]; !ok {
			return "", fmt.Errorf("%w: model %q has no version label %q", serving.ErrNotFound, name, label)
		}
		return label, nil
	}
	if version != "" {
		if n, err := strconv.Atoi(version); err != nil || n <= 0 {
			return "", fmt.Errorf("%w: model %q: version %q is not a positive integer (use /labels/ for labels)", serving.ErrNotFound, name, version)
		}
	}
	return version, nil
}

// tfVersion resolves the version of a path, for status and metadata.
func (s *Server) tfVersion(name, version, label string, info *reqInfo) (*serving.Version, error) {
	ref, err := s.tfRef(name, version, label)
	if err != nil {
		return nil, err
	}
	return s.resolveRef(name, ref, info)
}

type tfStatusBody struct {
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

type tfVersionStatus struct {
	Version string       `json:"version"`
	State   string       `json:"state"`
	Status  tfStatusBody `json:"status"`
}

// tfState maps version states to TF Serving's: a failed or unloaded
// version has ended.
func tfState(st serving.Status) tfVersionStatus {
	vs := tfVersionStatus{State: string(st.State), Status: tfStatusBody{ErrorCode: "OK"}}
	switch st.State {
	case serving.StateFailed, serving.StateUnloaded:
		vs.State = "END"
	}
	if st.Err != nil {
		vs.Status = tfStatusBody{ErrorCode: "UNKNOWN", ErrorMessage: st.Err.Error()}
	}
	return vs
}

// tfStatus serves GET /v1/models/{name}[/versions/{v}|/labels/{l}]: the
// status of every version, or of one.
func (s *Server) tfStatus(r *http.Request, info *reqInfo) (any, error) {
	name, version, label := r.PathValue("name"), r.PathValue("version"), r.PathValue("label")
	var versions []*serving.Version
	if version == "" && label == "" {
		m, err := s.models.Model(name)
		if err != nil {
			return nil, err
		}
		info.model = m.Name
		versions = m.Versions()
	} else {
		v, err := s.tfVersion(name, version, label, info)
		if err != nil {
			return nil, err
		}
		versions = []*serving.Version{v}
	}
	out := []tfVersionStatus{}
	for i := len(versions) - 1; i >= 0; i-- { // newest first, as TF Serving lists them
		vs := tfState(versions[i].Status())
		vs.Version = versions[i].Label()
		out = append(out, vs)
	}
	return map[string]any{"model_version_status": out}, nil
}

type tfDim struct {
	Size string `json:"size"`
	Name string `json:"name"`
}

type tfTensorInfo struct {
	DType       string `json:"dtype"`
	TensorShape struct {
		Dim         []tfDim `json:"dim"`
		UnknownRank bool    `json:"unknown_rank"`
	} `json:"tensor_shape"`
	Name string `json:"name"`
}

// tfDTypes are TF's names of the datatypes.
var tfDTypes = map[tensor.DType]string{
	tensor.Bool: "DT_BOOL", tensor.Uint8: "DT_UINT8", tensor.Uint16: "DT_UINT16", tensor.Uint32: "DT_UINT32",
	tensor.Uint64: "DT_UINT64", tensor.Int8: "DT_INT8", tensor.Int16: "DT_INT16", tensor.Int32: "DT_INT32",
	tensor.Int64: "DT_INT64", tensor.Float16: "DT_HALF", tensor.Float32: "DT_FLOAT", tensor.Float64: "DT_DOUBLE",
	tensor.String: "DT_STRING",
}

func tfTensorInfos(infos []engine.TensorInfo) map[string]tfTensorInfo {
	out := make(map[string]tfTensorInfo, len(infos))
	for _, in := range infos {
		ti := tfTensorInfo{DType: tfDTypes[in.DType], Name: in.Name}
		ti.TensorShape.Dim = []tfDim{}
		ti.TensorShape.UnknownRank = in.Shape == nil
		for _, d := range in.Shape {
			ti.TensorShape.Dim = append(ti.TensorShape.Dim, tfDim{Size: strconv.Itoa(d)})
		}
		out[in.Name] = ti
	}
	return out
}

// tfSignature is the only signature a model has.
const tfSignature = "serving_default"

// tfMetadata serves GET .../metadata: the model spec and its one signature.
func (s *Server) tfMetadata(r *http.Request, info *reqInfo) (any, error) {
	v, err := s.tfVersion(r.PathValue("name"), r.PathValue("version"), r.PathValue("label"), info)
	if err != nil {
		return nil, err
	}
	st := v.Status()
	if st.State != serving.StateAvailable {
		return nil, fmt.Errorf("%w: model %q version %s is %s%s", serving.ErrUnavailable, v.ModelName, v.Label(), st.State, errSuffix(st.Err))
	}
	sig := map[string]any{
		"inputs":      tfTensorInfos(st.Inputs),
		"outputs":     tfTensorInfos(st.Outputs),
		"method_name": "tensorflow/serving/predict",
	}
	return map[string]any{
		"model_spec": map[string]string{"name": v.ModelName, "signature_name": "", "version": v.Label()},
		"metadata": map[string]any{"signature_def": map[string]any{
			"signature_def": map[string]any{tfSignature: sig},
		}},
	}, nil
}

// tfVerb serves POST ...:predict, :classify and :regress.
func (s *Server) tfVerb(r *http.Request, info *reqInfo) (any, error) {
	name, version, label := r.PathValue("name"), r.PathValue("version"), r.PathValue("label")
	last := &name
	switch {
	case label != "":
		last = &label
	case version != "":
		last = &version
	}
	base, verb, ok := strings.Cut(*last, ":")
	if !ok {
		return nil, errorf(http.StatusNotFound, "no route for POST %s; add :predict, :classify or :regress", r.URL.Path)
	}
	*last = base
	ref, err := s.tfRef(name, version, label)
	if err != nil {
		return nil, err
	}
	v, release, err := s.acquireRef(name, ref, info)
	if err != nil {
		return nil, err
	}
	defer release()
	switch verb {
	case "predict":
		return s.tfPredict(r, v)
	case "classify", "regress":
		return s.tfExamples(r, v, verb)
	}
	return nil, errorf(http.StatusNotFound, "unknown verb %q in %s; use :predict, :classify or :regress", verb, r.URL.Path)
}

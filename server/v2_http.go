package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// The Open Inference Protocol over HTTP/REST, with the binary tensor data
// and classification extensions.

func (s *Server) v2Routes(mux *http.ServeMux) {
	h := func(pattern string, fn apiFunc) { s.handleProtocol(mux, protoV2, pattern, fn) }
	h("GET /v2", s.v2Server)
	h("GET /v2/health/live", s.v2Live)
	h("GET /v2/health/ready", s.v2Ready)
	h("GET /v2/models/{name}", s.v2Model)
	h("GET /v2/models/{name}/versions/{version}", s.v2Model)
	h("GET /v2/models/{name}/ready", s.v2ModelReady)
	h("GET /v2/models/{name}/versions/{version}/ready", s.v2ModelReady)
	h("POST /v2/models/{name}/infer", s.v2Infer)
	h("POST /v2/models/{name}/versions/{version}/infer", s.v2Infer)
}

func (s *Server) v2Server(*http.Request, *reqInfo) (any, error) { return s.serverMetadata(), nil }

func (s *Server) v2Live(*http.Request, *reqInfo) (any, error) { return v2.Live{Live: true}, nil }

// v2Ready answers 200 {"ready": true}, or 503 with the reason.
func (s *Server) v2Ready(*http.Request, *reqInfo) (any, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	return v2.Ready{Ready: true}, nil
}

func (s *Server) v2Model(r *http.Request, info *reqInfo) (any, error) {
	return s.modelMetadata(r.PathValue("name"), r.PathValue("version"), info)
}

// v2ModelReady answers 200 {"name", "ready": true}, 404 for unknown models
// and versions, 503 with the reason for versions that cannot serve.
func (s *Server) v2ModelReady(r *http.Request, info *reqInfo) (any, error) {
	if err := s.modelReady(r.PathValue("name"), r.PathValue("version"), info); err != nil {
		return nil, err
	}
	return v2.ModelReady{Name: info.model, Ready: true}, nil
}

// v2Infer serves POST .../infer.
func (s *Server) v2Infer(r *http.Request, info *reqInfo) (any, error) {
	v, release, err := s.acquireRef(r.PathValue("name"), r.PathValue("version"), info)
	if err != nil {
		return nil, err
	}
	defer release()
	body, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	mem := reservationOf(r.Context())
	req, inputs, err := v2RESTDecode(mem, body, r.Header.Get(v2.HeaderContentLength))
	if err != nil {
		return nil, err
	}
	binaryAll, err := req.Parameters.Bool(v2.ParamBinaryDataOutput)
	if err != nil {
		return nil, err
	}
	reqs, err := v2RESTOutputs(req.Outputs, binaryAll)
	if err != nil {
		return nil, err
	}
	if reqs, err = v2RESTRank(v, req.Parameters, reqs, binaryAll); err != nil {
		return nil, err
	}
	res, err := v.Infer(r.Context(), &serving.Request{Inputs: inputs, Outputs: reqs, BinaryOutputs: binaryAll, MaxPixels: s.maxPixels, Charge: mem.chargeFunc()})
	if err != nil {
		return nil, err
	}
	// The answer's id is the client's, else the request id (Inferd-Request-Id).
	return v2RESTAnswer(v.ModelName, v.Label(), cmp.Or(req.ID, RequestID(r.Context())), res.Outputs)
}

// v2RESTDecode decodes the body of an inference request, charging mem
// first: its JSON, and its inputs from the JSON or from the binary data
// after it (binaryLen, the Inference-Header-Content-Length header).
func v2RESTDecode(mem *reservation, body []byte, binaryLen string) (*v2.InferRequest, map[string]*tensor.Tensor, error) {
	head, bin, err := v2.SplitBody(body, binaryLen)
	if err != nil {
		return nil, nil, err
	}
	// The decoder's buffer and the copies of the "data" values it keeps raw.
	if err := mem.charge(2*int64(len(head)), "decoding the request JSON"); err != nil {
		return nil, nil, err
	}
	req, err := decodeV2Request(head)
	if err != nil {
		return nil, nil, err
	}
	if err := chargeV2Inputs(mem, req.Inputs); err != nil {
		return nil, nil, err
	}
	var data *v2.BinaryData
	if binaryLen != "" {
		data = v2.NewBinaryData(bin)
	}
	inputs, err := v2RESTInputs(req.Inputs, data)
	if err != nil {
		return nil, nil, err
	}
	return req, inputs, nil
}

// v2RESTRank applies the request's classification parameter: the model's
// score output, its top k classes.
func v2RESTRank(v *serving.Version, params v2.Parameters, reqs []serving.OutputRequest, binaryAll bool) ([]serving.OutputRequest, error) {
	k, ok, err := params.Int(v2.ParamClassification)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return reqs, nil
	case k == 0:
		return nil, errorf(http.StatusBadRequest, "the request: parameter %q must be at least 1", v2.ParamClassification)
	}
	return rankScores(v, reqs, int(min(k, 1<<20)), binaryAll)
}

// decodeV2Request decodes the JSON of an inference request strictly: valid
// UTF-8, known fields, one object.
func decodeV2Request(head []byte) (*v2.InferRequest, error) {
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, errorf(http.StatusBadRequest, "empty request body; send a JSON inference request")
	}
	if err := validUTF8(head, "send BYTES that are not text as binary data"); err != nil {
		return nil, err
	}
	var req v2.InferRequest
	trailing := fmt.Sprintf("request JSON has data after the object; with binary data, set the %s header", v2.HeaderContentLength)
	if err := decodeJSON(bytes.NewReader(head), &req, true, trailing); err != nil {
		return nil, err
	}
	if len(req.Inputs) == 0 {
		return nil, errorf(http.StatusBadRequest, `request has no "inputs"`)
	}
	return &req, nil
}

// chargeV2Inputs reserves the memory of the input tensors before they are
// decoded: the tensor their shape and datatype declare and, for JSON data,
// the decoding of every value the data holds (which may be more than the
// shape declares). Inputs that cannot be decoded are left to decoding to
// refuse.
func chargeV2Inputs(mem *reservation, ins []v2.RequestInput) error {
	for i := range ins {
		in := &ins[i]
		dt, err := v2.ParseDatatype(in.Datatype)
		if err != nil {
			continue
		}
		n := tensorBytes(dt, in.Shape)
		if len(in.Data) > 0 {
			n = satAdd(n, jsonDecodeBytes(jsonLeaves(in.Data), len(in.Data), dt))
		}
		if err := mem.chargeFor(n, func() string { return describeTensor("input", in.Name, in.Datatype, in.Shape) }); err != nil {
			return err
		}
	}
	return nil
}

// v2RESTInputs decodes the request's input tensors, JSON or binary.
func v2RESTInputs(ins []v2.RequestInput, data *v2.BinaryData) (map[string]*tensor.Tensor, error) {
	inputs := make(map[string]*tensor.Tensor, len(ins))
	for i := range ins {
		in := &ins[i]
		if _, dup := inputs[in.Name]; dup {
			return nil, errorf(http.StatusBadRequest, "input %q is given twice", in.Name)
		}
		t, err := in.Tensor(data)
		if err != nil {
			return nil, err
		}
		inputs[in.Name] = t
	}
	if err := data.Done(); err != nil {
		return nil, err
	}
	return inputs, nil
}

// v2RESTOutputs reads the requested outputs and their parameters.
func v2RESTOutputs(outs []v2.RequestOutput, binaryAll bool) ([]serving.OutputRequest, error) {
	reqs := make([]serving.OutputRequest, len(outs))
	for i, o := range outs {
		reqs[i] = serving.OutputRequest{Name: o.Name, Binary: binaryAll}
		if _, ok := o.Parameters[v2.ParamBinaryData]; ok {
			b, err := o.Parameters.Bool(v2.ParamBinaryData)
			if err != nil {
				return nil, fmt.Errorf("output %q: %w", o.Name, err)
			}
			reqs[i].Binary = b
		}
		k, ok, err := o.Parameters.Int(v2.ParamClassification)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		if ok && k == 0 {
			return nil, errorf(http.StatusBadRequest, "output %q: parameter %q must be at least 1", o.Name, v2.ParamClassification)
		}
		reqs[i].Classes = int(min(k, 1<<20))
	}
	return reqs, nil
}

// v2RESTAnswer encodes the outputs: plain JSON, or JSON followed by the
// binary data when any output travels as binary data.
func v2RESTAnswer(model, version, id string, res []serving.Output) (any, error) {
	ans := v2.InferResponse{ModelName: model, ModelVersion: version, ID: id, Outputs: make([]v2.ResponseOutput, len(res))}
	var (
		bin    []byte
		binary bool
	)
	for i, o := range res {
		params, data, b, err := v2.EncodeTensor(o.Tensor, o.Binary, nil, bin)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		bin, binary = b, binary || o.Binary
		ans.Outputs[i] = v2.ResponseOutput{Name: o.Name, Datatype: o.Tensor.DType().String(), Shape: v2.WireShape(o.Tensor.Shape()), Parameters: params, Data: data}
	}
	if !binary {
		return ans, nil
	}
	head, err := json.Marshal(ans)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set(v2.HeaderContentLength, strconv.Itoa(len(head)))
	h.Set("Content-Type", "application/octet-stream")
	return &rawAnswer{header: h, body: append(head, bin...)}, nil
}

// rawAnswer is a 200 answer written as is, for bodies that are not only
// JSON.
type rawAnswer struct {
	header http.Header
	body   []byte
}

func (a *rawAnswer) write(w http.ResponseWriter) {
	for k, vs := range a.header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.body)
}

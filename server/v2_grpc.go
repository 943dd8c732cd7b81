package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/serving"
	"github.com/inferd/inferd/tensor"
)

// inferenceService is the Open Inference Protocol over gRPC. Its methods
// return plain errors; the interceptor maps them to status codes.
type inferenceService struct {
	v2.UnimplementedGRPCInferenceServiceServer
	s *Server
}

var _ v2.GRPCInferenceServiceServer = (*inferenceService)(nil)

func (g *inferenceService) ServerLive(context.Context, *v2.ServerLiveRequest) (*v2.ServerLiveResponse, error) {
	return &v2.ServerLiveResponse{Live: true}, nil
}

func (g *inferenceService) ServerReady(context.Context, *v2.ServerReadyRequest) (*v2.ServerReadyResponse, error) {
	return &v2.ServerReadyResponse{Ready: g.s.ready() == nil}, nil
}

// ModelReady answers false for a version that exists but cannot serve,
// NotFound for unknown models and versions.
func (g *inferenceService) ModelReady(ctx context.Context, req *v2.ModelReadyRequest) (*v2.ModelReadyResponse, error) {
	err := g.s.modelReady(req.GetName(), req.GetVersion(), callInfo(ctx))
	if errors.Is(err, serving.ErrUnavailable) {
		return &v2.ModelReadyResponse{Ready: false}, nil
	}
	if err != nil {
		return nil, err
	}
	return &v2.ModelReadyResponse{Ready: true}, nil
}

func (g *inferenceService) ServerMetadata(context.Context, *v2.ServerMetadataRequest) (*v2.ServerMetadataResponse, error) {
	md := g.s.serverMetadata()
	return &v2.ServerMetadataResponse{Name: md.Name, Version: md.Version, Extensions: md.Extensions}, nil
}

func (g *inferenceService) ModelMetadata(ctx context.Context, req *v2.ModelMetadataRequest) (*v2.ModelMetadataResponse, error) {
	md, err := g.s.modelMetadata(req.GetName(), req.GetVersion(), callInfo(ctx))
	if err != nil {
		return nil, err
	}
	conv := func(ts []v2.TensorMetadata) []*v2.ModelMetadataResponse_TensorMetadata {
		out := make([]*v2.ModelMetadataResponse_TensorMetadata, len(ts))
		for i, t := range ts {
			out[i] = &v2.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape}
		}
		return out
	}
	return &v2.ModelMetadataResponse{Name: md.Name, Versions: md.Versions, Platform: md.Platform, Inputs: conv(md.Inputs), Outputs: conv(md.Outputs)}, nil
}

// ModelInfer runs a model. Inputs come as typed contents or as
// raw_input_contents; the outputs go back the same way, except that a
// response with an FP16 output (which has no typed field) is all raw.
func (g *inferenceService) ModelInfer(ctx context.Context, req *v2.ModelInferRequest) (*v2.ModelInferResponse, error) {
	s := g.s
	v, release, err := s.acquireRef(req.GetModelName(), req.GetModelVersion(), callInfo(ctx))
	if err != nil {
		return nil, err
	}
	defer release()
	mem := reservationOf(ctx)
	inputs, err := grpcInputs(mem, req)
	if err != nil {
		return nil, err
	}
	reqs, err := grpcOutputs(req.GetOutputs())
	if err != nil {
		return nil, err
	}
	if p, ok := req.GetParameters()[v2.ParamClassification]; ok {
		k, err := grpcClasses("the request", p)
		if err != nil {
			return nil, err
		}
		if reqs, err = rankScores(v, reqs, k, false); err != nil {
			return nil, err
		}
	}
	res, err := v.Infer(ctx, &serving.Request{Inputs: inputs, Outputs: reqs, MaxPixels: s.maxPixels, Charge: mem.chargeFunc()})
	if err != nil {
		return nil, err
	}
	// The answer's id is the client's, else the request id (inferd-request-id).
	return grpcAnswer(v.ModelName, v.Label(), cmp.Or(req.GetId(), RequestID(ctx)), res.Outputs, len(req.GetRawInputContents()) > 0)
}

// grpcInputs decodes the input tensors from typed contents or raw bytes,
// each charged to mem before it is decoded.
func grpcInputs(mem *reservation, req *v2.ModelInferRequest) (map[string]*tensor.Tensor, error) {
	ins, raw := req.GetInputs(), req.GetRawInputContents()
	if len(ins) == 0 {
		return nil, errorf(http.StatusBadRequest, "request has no inputs")
	}
	if len(raw) > 0 && len(raw) != len(ins) {
		return nil, errorf(http.StatusBadRequest, "raw_input_contents has %d entries for %d inputs; give one per input, in order", len(raw), len(ins))
	}
	inputs := make(map[string]*tensor.Tensor, len(ins))
	for i, in := range ins {
		name := in.GetName()
		if _, dup := inputs[name]; dup {
			return nil, errorf(http.StatusBadRequest, "input %q is given twice", name)
		}
		if err := chargeGRPCInput(mem, in, raw, i); err != nil {
			return nil, err
		}
		t, err := grpcInput(in, raw, i)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		inputs[name] = t
	}
	return inputs, nil
}

func grpcInput(in *v2.ModelInferRequest_InferInputTensor, raw [][]byte, i int) (*tensor.Tensor, error) {
	dt, err := v2.ParseDatatype(in.GetDatatype())
	if err != nil {
		return nil, err
	}
	shape, err := v2.Shape(in.GetShape())
	if err != nil {
		return nil, err
	}
	if len(raw) > 0 {
		if hasContents(in.GetContents()) {
			return nil, errorf(http.StatusBadRequest, "contents are set while the request uses raw_input_contents; use one or the other")
		}
		return v2.DecodeRaw(dt, shape, raw[i])
	}
	if in.GetContents() == nil && tensor.NumElements(shape) > 0 {
		return nil, errorf(http.StatusBadRequest, "no contents; set contents or raw_input_contents")
	}
	return v2.TensorFromContents(dt, shape, in.GetContents())
}

// chargeGRPCInput reserves the tensor an input's shape and datatype
// declare (and the strings of raw BYTES) before it is decoded.
func chargeGRPCInput(mem *reservation, in *v2.ModelInferRequest_InferInputTensor, raw [][]byte, i int) error {
	dt, err := v2.ParseDatatype(in.GetDatatype())
	if err != nil {
		return nil // decoding says what is wrong
	}
	n := tensorBytes(dt, in.GetShape())
	if dt == tensor.String && i < len(raw) {
		n = satAdd(n, int64(len(raw[i])))
	}
	return mem.chargeFor(n, func() string { return describeTensor("input", in.GetName(), in.GetDatatype(), in.GetShape()) })
}

func hasContents(c *v2.InferTensorContents) bool {
	return len(c.GetBoolContents())+len(c.GetIntContents())+len(c.GetInt64Contents())+len(c.GetUintContents())+
		len(c.GetUint64Contents())+len(c.GetFp32Contents())+len(c.GetFp64Contents())+len(c.GetBytesContents()) > 0
}

// grpcOutputs reads the requested outputs and their classification
// parameter.
func grpcOutputs(outs []*v2.ModelInferRequest_InferRequestedOutputTensor) ([]serving.OutputRequest, error) {
	reqs := make([]serving.OutputRequest, len(outs))
	for i, o := range outs {
		reqs[i].Name = o.GetName()
		p, ok := o.GetParameters()[v2.ParamClassification]
		if !ok {
			continue
		}
		k, err := grpcClasses(fmt.Sprintf("output %q", o.GetName()), p)
		if err != nil {
			return nil, err
		}
		reqs[i].Classes = k
	}
	return reqs, nil
}

// grpcClasses reads a classification parameter: an integer, at least 1.
func grpcClasses(what string, p *v2.InferParameter) (int, error) {
	var k int64
	switch c := p.GetParameterChoice().(type) {
	case *v2.InferParameter_Int64Param:
		k = c.Int64Param
	case *v2.InferParameter_Uint64Param:
		k = int64(min(c.Uint64Param, 1<<20))
	default:
		return 0, errorf(http.StatusBadRequest, "%s: parameter %q must be an int64_param", what, v2.ParamClassification)
	}
	if k < 1 {
		return 0, errorf(http.StatusBadRequest, "%s: parameter %q must be at least 1", what, v2.ParamClassification)
	}
	return int(min(k, 1<<20)), nil
}

// grpcAnswer encodes the outputs as typed contents, or raw when asked or
// when an output has no typed field.
func grpcAnswer(model, version, id string, res []serving.Output, raw bool) (*v2.ModelInferResponse, error) {
	for _, o := range res {
		raw = raw || !v2.HasContents(o.Tensor.DType())
	}
	ans := &v2.ModelInferResponse{ModelName: model, ModelVersion: version, Id: id, Outputs: make([]*v2.ModelInferResponse_InferOutputTensor, len(res))}
	for i, o := range res {
		out := &v2.ModelInferResponse_InferOutputTensor{Name: o.Name, Datatype: o.Tensor.DType().String(), Shape: v2.WireShape(o.Tensor.Shape())}
		if raw {
			ans.RawOutputContents = append(ans.RawOutputContents, v2.AppendRaw(make([]byte, 0, v2.RawSize(o.Tensor)), o.Tensor))
		} else {
			c, err := v2.ContentsOf(o.Tensor)
			if err != nil {
				return nil, fmt.Errorf("output %q: %w", o.Name, err)
			}
			out.Contents = c
		}
		ans.Outputs[i] = out
	}
	return ans, nil
}

package client

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	v2 "github.com/inferd/inferd/api/v2"
)

// MaxMessageBytes is the largest gRPC message the client sends or
// receives, matching the server's default.
const MaxMessageBytes = 64 << 20

// grpcTransport speaks the gRPC binding.
type grpcTransport struct {
	conn *grpc.ClientConn
	c    v2.GRPCInferenceServiceClient
}

// NewGRPC returns a gRPC client for target (host:port), without TLS unless
// opts say otherwise. The connection is made lazily.
func NewGRPC(target string, opts ...grpc.DialOption) (*Client, error) {
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
	}, opts...)
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("gRPC client for %s: %w", target, err)
	}
	return &Client{t: &grpcTransport{conn: conn, c: v2.NewGRPCInferenceServiceClient(conn)}}, nil
}

func (g *grpcTransport) close() error { return g.conn.Close() }

// fromStatus turns a gRPC status error into an *Error.
func fromStatus(err error) error {
	if st, ok := status.FromError(err); ok && err != nil {
		return &Error{Code: st.Code(), Message: st.Message()}
	}
	return err
}

func (g *grpcTransport) live(ctx context.Context) (bool, error) {
	r, err := g.c.ServerLive(ctx, &v2.ServerLiveRequest{})
	return r.GetLive(), fromStatus(err)
}

func (g *grpcTransport) ready(ctx context.Context) (bool, error) {
	r, err := g.c.ServerReady(ctx, &v2.ServerReadyRequest{})
	return r.GetReady(), fromStatus(err)
}

func (g *grpcTransport) serverMetadata(ctx context.Context) (*v2.ServerMetadata, error) {
	r, err := g.c.ServerMetadata(ctx, &v2.ServerMetadataRequest{})
	if err != nil {
		return nil, fromStatus(err)
	}
	return &v2.ServerMetadata{Name: r.GetName(), Version: r.GetVersion(), Extensions: r.GetExtensions()}, nil
}

func (g *grpcTransport) modelReady(ctx context.Context, model, version string) (bool, error) {
	r, err := g.c.ModelReady(ctx, &v2.ModelReadyRequest{Name: model, Version: version})
	return r.GetReady(), fromStatus(err)
}

func (g *grpcTransport) modelMetadata(ctx context.Context, model, version string) (*v2.ModelMetadata, error) {
	r, err := g.c.ModelMetadata(ctx, &v2.ModelMetadataRequest{Name: model, Version: version})
	if err != nil {
		return nil, fromStatus(err)
	}
	conv := func(ts []*v2.ModelMetadataResponse_TensorMetadata) []v2.TensorMetadata {
		out := make([]v2.TensorMetadata, len(ts))
		for i, t := range ts {
			out[i] = v2.TensorMetadata{Name: t.GetName(), Datatype: t.GetDatatype(), Shape: t.GetShape()}
		}
		return out
	}
	return &v2.ModelMetadata{Name: r.GetName(), Versions: r.GetVersions(), Platform: r.GetPlatform(), Inputs: conv(r.GetInputs()), Outputs: conv(r.GetOutputs())}, nil
}

func (g *grpcTransport) infer(ctx context.Context, req *InferRequest) (*InferResponse, error) {
	pr := &v2.ModelInferRequest{ModelName: req.Model, ModelVersion: req.Version, Id: req.ID}
	raw := req.Binary
	for _, in := range req.Inputs {
		raw = raw || !v2.HasContents(in.Tensor.DType()) // FP16 travels raw only
	}
	for _, in := range req.Inputs {
		t := in.Tensor
		it := &v2.ModelInferRequest_InferInputTensor{Name: in.Name, Datatype: t.DType().String(), Shape: v2.WireShape(t.Shape())}
		if raw {
			pr.RawInputContents = append(pr.RawInputContents, v2.AppendRaw(make([]byte, 0, v2.RawSize(t)), t))
		} else {
			c, err := v2.ContentsOf(t)
			if err != nil {
				return nil, fmt.Errorf("input %q: %w", in.Name, err)
			}
			it.Contents = c
		}
		pr.Inputs = append(pr.Inputs, it)
	}
	for _, o := range req.Outputs {
		ro := &v2.ModelInferRequest_InferRequestedOutputTensor{Name: o.Name}
		if o.Classification > 0 {
			ro.Parameters = map[string]*v2.InferParameter{v2.ParamClassification: {
				ParameterChoice: &v2.InferParameter_Int64Param{Int64Param: int64(o.Classification)},
			}}
		}
		pr.Outputs = append(pr.Outputs, ro)
	}
	if req.Classification > 0 {
		pr.Parameters = map[string]*v2.InferParameter{v2.ParamClassification: {
			ParameterChoice: &v2.InferParameter_Int64Param{Int64Param: int64(req.Classification)},
		}}
	}
	r, err := g.c.ModelInfer(ctx, pr)
	if err != nil {
		return nil, fromStatus(err)
	}
	return decodeGRPCAnswer(r)
}

func decodeGRPCAnswer(r *v2.ModelInferResponse) (*InferResponse, error) {
	outs, raw := r.GetOutputs(), r.GetRawOutputContents()
	if len(raw) > 0 && len(raw) != len(outs) {
		return nil, fmt.Errorf("answer has %d raw_output_contents for %d outputs", len(raw), len(outs))
	}
	res := &InferResponse{Model: r.GetModelName(), Version: r.GetModelVersion(), ID: r.GetId(), Outputs: make([]Output, len(outs))}
	for i, o := range outs {
		dt, err := v2.ParseDatatype(o.GetDatatype())
		if err != nil {
			return nil, fmt.Errorf("answer output %q: %w", o.GetName(), err)
		}
		shape, err := v2.Shape(o.GetShape())
		if err != nil {
			return nil, fmt.Errorf("answer output %q: %w", o.GetName(), err)
		}
		if len(raw) > 0 {
			res.Outputs[i].Tensor, err = v2.DecodeRaw(dt, shape, raw[i])
		} else {
			res.Outputs[i].Tensor, err = v2.TensorFromContents(dt, shape, o.GetContents())
		}
		if err != nil {
			return nil, fmt.Errorf("answer output %q: %w", o.GetName(), err)
		}
		res.Outputs[i].Name = o.GetName()
	}
	return res, nil
}

// IsNotFound reports whether err is a server's "not found" answer (404 or
// NotFound).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.HTTPStatus == 404 || e.Code == codes.NotFound)
}

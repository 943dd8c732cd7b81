package server

import (
	"fmt"
	"net/http"

	v2 "github.com/inferd/inferd/api/v2"
	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving"
)

// What the Open Inference Protocol's REST and gRPC sides share: finding
// versions, metadata and readiness.

// serverName is the name in the server metadata.
const serverName = "inferd"

// platforms maps config platforms to the protocol's platform names.
var platforms = map[string]string{"onnx": "onnx_onnxv1"}

// resolveRef finds a version of a model by name and reference ("" for the
// default version, "3", "v3" or a label) for metadata, and records them in
// info.
func (s *Server) resolveRef(name, ref string, info *reqInfo) (*serving.Version, error) {
	if err := s.checkModel(name, info); err != nil {
		return nil, err
	}
	v, err := s.models.Resolve(name, ref)
	if err != nil {
		return nil, err
	}
	info.version = v.Label()
	return v, nil
}

// acquireRef is resolveRef for inference: "" follows the model's traffic
// split, and the version stays loaded until release is called. A version
// whose batching queue is full turns the request away here (429), before
// its body is read.
func (s *Server) acquireRef(name, ref string, info *reqInfo) (v *serving.Version, release func(), err error) {
	if err := s.checkModel(name, info); err != nil {
		return nil, nil, err
	}
	if v, err = s.models.Acquire(name, ref, info.client); err != nil {
		return nil, nil, err
	}
	info.version = v.Label()
	if err := v.Admit(); err != nil {
		v.Release()
		return nil, nil, err
	}
	return v, v.Release, nil
}

// checkModel finds a model that can serve and records it in info.
func (s *Server) checkModel(name string, info *reqInfo) error {
	if name == "" {
		return errorf(http.StatusBadRequest, "no model name given")
	}
	m, err := s.models.Model(name)
	if err != nil {
		return err
	}
	info.model = m.Name
	if m.Config == nil {
		return errorf(http.StatusServiceUnavailable, "model %q cannot serve: %v", name, m.ConfigErr)
	}
	return nil
}

// serverMetadata is the answer of GET /v2 and ServerMetadata.
func (s *Server) serverMetadata() v2.ServerMetadata {
	return v2.ServerMetadata{Name: serverName, Version: s.version, Extensions: v2.Extensions}
}

// modelMetadata describes a version that can serve: its inputs and
// outputs, and the model's AVAILABLE versions.
func (s *Server) modelMetadata(name, ref string, info *reqInfo) (*v2.ModelMetadata, error) {
	v, err := s.resolveRef(name, ref, info)
	if err != nil {
		return nil, err
	}
	st := v.Status()
	if st.State != serving.StateAvailable {
		return nil, fmt.Errorf("%w: model %q version %s is %s%s", serving.ErrUnavailable, v.ModelName, v.Label(), st.State, errSuffix(st.Err))
	}
	m, err := s.models.Model(name)
	if err != nil {
		return nil, err
	}
	md := &v2.ModelMetadata{Name: v.ModelName, Platform: platforms[v.Config.Platform], Inputs: tensorMetadata(st.Inputs), Outputs: tensorMetadata(st.Outputs)}
	if md.Platform == "" {
		md.Platform = v.Config.Platform
	}
	for _, mv := range m.Versions() {
		if mv.State() == serving.StateAvailable {
			md.Versions = append(md.Versions, mv.Label())
		}
	}
	return md, nil
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func tensorMetadata(infos []engine.TensorInfo) []v2.TensorMetadata {
	out := make([]v2.TensorMetadata, len(infos))
	for i, in := range infos {
		shape := v2.WireShape(in.Shape)
		if in.Shape == nil {
			shape = []int64{}
		}
		out[i] = v2.TensorMetadata{Name: in.Name, Datatype: in.DType.String(), Shape: shape}
	}
	return out
}

// modelReady is nil when a version can serve: ErrNotFound for unknown
// models and versions, ErrUnavailable (with the reason) for known ones that
// are not AVAILABLE.
func (s *Server) modelReady(name, ref string, info *reqInfo) error {
	v, err := s.resolveRef(name, ref, info)
	if err != nil {
		return err
	}
	if st := v.Status(); st.State != serving.StateAvailable {
		return fmt.Errorf("%w: model %q version %s is %s%s", serving.ErrUnavailable, v.ModelName, v.Label(), st.State, errSuffix(st.Err))
	}
	return nil
}

// ready is nil when the server is ready: every model has an AVAILABLE
// version and it is not shutting down.
func (s *Server) ready() error {
	_, err := s.readyz(nil, nil)
	return err
}

// rankScores answers the request-level classification parameter (k
// classes), which asks for the model's score output ranked as config.yaml
// says (its postprocess section, or its one score output), so that a
// client need not know which output holds the scores. It does not go
// with outputs named: those take the parameter each.
func rankScores(v *serving.Version, reqs []serving.OutputRequest, k int, binary bool) ([]serving.OutputRequest, error) {
	if len(reqs) > 0 {
		return nil, errorf(http.StatusBadRequest, "parameter %q on the request ranks the model's score output; when naming outputs, give it on the output to rank", v2.ParamClassification)
	}
	out := v.Codec().ScoreOutput()
	if out == "" {
		return nil, errorf(http.StatusBadRequest, "model %q %s (config.yaml has no postprocess section); name the output and give it parameter %q", v.ModelName, v2.NothingToRank, v2.ParamClassification)
	}
	return []serving.OutputRequest{{Name: out, Classes: k, Binary: binary}}, nil
}

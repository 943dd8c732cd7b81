package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/serving"
)

// The lifecycle API: version labels and traffic splits of the seed routes,
// and the repository extension of the Open Inference Protocol (Triton's
// explicit model control).

func (s *Server) lifecycleRoutes(mux *http.ServeMux) {
	s.handle(mux, "POST /models/{name}", s.predict)
	s.handle(mux, "PUT /models/{name}/labels/{label}", s.putLabel)
	s.handle(mux, "DELETE /models/{name}/labels/{label}", s.deleteLabel)
	s.handle(mux, "PUT /models/{name}/traffic", s.putTraffic)
	s.handle(mux, "DELETE /models/{name}/traffic", s.deleteTraffic)
	s.handleProtocol(mux, protoV2, "POST /v2/repository/index", s.repositoryIndex)
	s.handleProtocol(mux, protoV2, "POST /v2/repository/models/{name}/load", s.repositoryLoad)
	s.handleProtocol(mux, protoV2, "POST /v2/repository/models/{name}/unload", s.repositoryUnload)
}

// decodeBody decodes a small JSON body strictly into v.
func decodeBody(r *http.Request, v any) error { return decodeJSON(r.Body, v, false, "") }

// putLabel serves PUT /models/{name}/labels/{label} with {"version": N}
// (N a number, or "3" / "v3").
func (s *Server) putLabel(r *http.Request, info *reqInfo) (any, error) {
	var body struct {
		Version json.RawMessage `json:"version"`
	}
	if err := decodeBody(r, &body); err != nil {
		return nil, err
	}
	if len(body.Version) == 0 {
		return nil, errorf(http.StatusBadRequest, `body needs "version": {"version": 3}`)
	}
	ref := string(body.Version)
	if unq, err := strconv.Unquote(ref); err == nil {
		ref = unq
	}
	v, err := model.ParseVersion(ref)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "version: %v", err)
	}
	name, label := r.PathValue("name"), r.PathValue("label")
	info.model = s.knownModel(name)
	if err := s.models.SetLabel(name, label, v); err != nil {
		return nil, err
	}
	return map[string]any{"model": name, "label": label, "version": strconv.Itoa(v)}, nil
}

// deleteLabel serves DELETE /models/{name}/labels/{label}.
func (s *Server) deleteLabel(r *http.Request, info *reqInfo) (any, error) {
	name, label := r.PathValue("name"), r.PathValue("label")
	info.model = s.knownModel(name)
	if err := s.models.DeleteLabel(name, label); err != nil {
		return nil, err
	}
	return map[string]any{"model": name, "label": label, "deleted": true}, nil
}

// putTraffic serves PUT /models/{name}/traffic with {"3": 90, "4": 10}.
func (s *Server) putTraffic(r *http.Request, info *reqInfo) (any, error) {
	var split map[string]int
	if err := decodeBody(r, &split); err != nil {
		return nil, err
	}
	if split == nil {
		return nil, errorf(http.StatusBadRequest, `body must be an object of version to weight: {"3": 90, "4": 10}`)
	}
	name := r.PathValue("name")
	info.model = s.knownModel(name)
	if err := s.models.SetTraffic(name, split); err != nil {
		return nil, err
	}
	m, err := s.models.Model(name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"model": name, "traffic": m.Traffic()}, nil
}

// deleteTraffic serves DELETE /models/{name}/traffic: the unversioned
// route goes to the default version again.
func (s *Server) deleteTraffic(r *http.Request, info *reqInfo) (any, error) {
	name := r.PathValue("name")
	info.model = s.knownModel(name)
	if err := s.models.SetTraffic(name, nil); err != nil {
		return nil, err
	}
	return map[string]any{"model": name, "traffic": nil}, nil
}

// repositoryIndex serves POST /v2/repository/index: every model of the
// repository with its versions' states. {"ready": true} keeps the ready ones.
func (s *Server) repositoryIndex(r *http.Request, _ *reqInfo) (any, error) {
	var body struct {
		Ready bool `json:"ready"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(r, &body); err != nil {
			return nil, err
		}
	}
	idx, err := s.models.Index(r.Context())
	if err != nil {
		return nil, err
	}
	if body.Ready {
		var ready []serving.IndexEntry
		for _, e := range idx {
			if e.State == "READY" {
				ready = append(ready, e)
			}
		}
		idx = ready
	}
	if idx == nil {
		idx = []serving.IndexEntry{}
	}
	return idx, nil
}

// repositoryLoad serves POST /v2/repository/models/{name}/load.
func (s *Server) repositoryLoad(r *http.Request, info *reqInfo) (any, error) {
	name := r.PathValue("name")
	if err := s.models.LoadModel(r.Context(), name); err != nil {
		return nil, err
	}
	info.model = name
	return map[string]any{}, nil
}

// repositoryUnload serves POST /v2/repository/models/{name}/unload.
func (s *Server) repositoryUnload(r *http.Request, info *reqInfo) (any, error) {
	if !s.models.Explicit() {
		return nil, errorf(http.StatusBadRequest, "unloading needs --model-control explicit: the server follows the repository, which would load the model again")
	}
	name := r.PathValue("name")
	info.model = s.knownModel(name)
	if err := s.models.UnloadModel(name); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

// knownModel returns name if the model exists (for metric labels), else "".
func (s *Server) knownModel(name string) string {
	if _, err := s.models.Model(name); err != nil {
		return ""
	}
	return name
}

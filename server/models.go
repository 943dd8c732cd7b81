package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/serving"
)

type versionSummary struct {
	Version string `json:"version"`
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
}

type modelSummary struct {
	Name           string               `json:"name"`
	Description    string               `json:"description,omitempty"`
	DefaultVersion string               `json:"default_version,omitempty"`
	Error          string               `json:"error,omitempty"`
	Unloaded       bool                 `json:"unloaded,omitempty"`
	Policy         *model.VersionPolicy `json:"version_policy,omitempty"`
	Labels         map[string]int       `json:"version_labels,omitempty"`
	Traffic        model.Traffic        `json:"traffic,omitempty"`
	Shadow         *model.Shadow        `json:"shadow,omitempty"`
	Versions       []versionSummary     `json:"versions"`
	// Monitoring is the live accuracy by version and window (GET
	// /models/{name} only).
	Monitoring map[string]map[string]monitor.WindowStatus `json:"monitoring,omitempty"`
	// Promotions is the promotion record's history (WithPromotions).
	Promotions *promotionStatus `json:"promotions,omitempty"`
}

type versionDetail struct {
	Name        string              `json:"name"`
	Version     string              `json:"version"`
	Platform    string              `json:"platform"`
	Engine      string              `json:"engine,omitempty"`
	State       string              `json:"state"`
	Error       string              `json:"error,omitempty"`
	Inputs      []engine.TensorInfo `json:"inputs"`
	Outputs     []engine.TensorInfo `json:"outputs"`
	Preprocess  *model.Preprocess   `json:"preprocessing,omitempty"`
	Postprocess *model.Postprocess  `json:"postprocessing,omitempty"`
	NumLabels   int                 `json:"num_labels"`
	SHA256      string              `json:"sha256,omitempty"`
	SizeBytes   int64               `json:"size_bytes,omitempty"`
	LoadedAt    *time.Time          `json:"loaded_at,omitempty"`
	LoadSeconds float64             `json:"load_seconds,omitempty"`
	// LabelsHeld are the periods in which the version held each label,
	// by the promotion record (WithPromotions).
	LabelsHeld map[string][]evaluate.LabelPeriod `json:"labels_held,omitempty"`
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func summarize(m *serving.ServedModel) modelSummary {
	s := modelSummary{Name: m.Name, Error: errString(m.ConfigErr), Unloaded: m.Unloaded, Versions: []versionSummary{},
		Labels: m.Labels(), Traffic: m.Traffic()}
	if m.Config != nil {
		p := m.Config.Policy()
		s.Description, s.Policy, s.Shadow = m.Config.Description, &p, m.Config.Shadow
	}
	if d := m.Default(); d != nil {
		s.DefaultVersion = d.Label()
	}
	for _, v := range m.Versions() {
		st := v.Status()
		s.Versions = append(s.Versions, versionSummary{Version: v.Label(), State: string(st.State), Error: errString(st.Err)})
	}
	return s
}

// listModels serves GET /models.
func (s *Server) listModels(*http.Request, *reqInfo) (any, error) {
	out := []modelSummary{}
	for _, m := range s.models.Models() {
		sum := summarize(m)
		sum.Promotions = s.promotions(m.Name)
		out = append(out, sum)
	}
	return map[string]any{"models": out}, nil
}

// getModel serves GET /models/{name}.
func (s *Server) getModel(r *http.Request, info *reqInfo) (any, error) {
	m, err := s.models.Model(r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	info.model = m.Name
	sum := summarize(m)
	sum.Promotions = s.promotions(m.Name)
	if s.monitor != nil {
		sum.Monitoring = s.monitor.Status(m.Name)
	}
	return sum, nil
}

// getVersion serves GET /models/{name}/{version}.
func (s *Server) getVersion(r *http.Request, info *reqInfo) (any, error) {
	v, err := s.resolve(r, info)
	if err != nil {
		return nil, err
	}
	st := v.Status()
	d := versionDetail{
		Name: v.ModelName, Version: v.Label(), Platform: v.Config.Platform, Engine: st.Engine,
		State: string(st.State), Error: errString(st.Err),
		Inputs: st.Inputs, Outputs: st.Outputs,
		Preprocess: v.Config.Preprocess, Postprocess: v.Config.Postprocess,
		NumLabels: len(v.Config.Labels), SHA256: st.SHA256, SizeBytes: st.SizeBytes,
		LoadSeconds: st.LoadDuration.Seconds(),
	}
	if d.Inputs == nil {
		d.Inputs = []engine.TensorInfo{}
	}
	if d.Outputs == nil {
		d.Outputs = []engine.TensorInfo{}
	}
	if !st.LoadedAt.IsZero() {
		t := st.LoadedAt.UTC()
		d.LoadedAt = &t
	}
	if p := s.promotions(v.ModelName); p != nil && p.History != nil {
		d.LabelsHeld = p.Held(strconv.Itoa(v.Number))
	}
	return d, nil
}

// resolve finds the version named by the {name} and {version} path values.
func (s *Server) resolve(r *http.Request, info *reqInfo) (*serving.Version, error) {
	return s.resolveRef(r.PathValue("name"), r.PathValue("version"), info)
}

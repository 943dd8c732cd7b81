package serving

import (
	"context"
	"fmt"
	"sort"

	"github.com/inferd/inferd/repository"
)

// IndexEntry describes one model of the repository for the explicit
// model-control API (Triton's repository index).
type IndexEntry struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	State   string `json:"state,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Explicit reports whether models load only through LoadModel.
func (m *Manager) Explicit() bool { return m.explicit }

// Index lists every model in the repository with the state of its
// versions: READY for AVAILABLE ones, UNAVAILABLE with a reason otherwise.
func (m *Manager) Index(ctx context.Context) ([]IndexEntry, error) {
	m.syncMu.Lock()
	if m.source == nil {
		m.syncMu.Unlock()
		return nil, errNoRepository
	}
	found, err := m.source.List(ctx)
	m.syncMu.Unlock()
	if err != nil {
		return nil, err
	}
	out := []IndexEntry{}
	for _, rm := range found {
		mod, _ := m.Model(rm.Name)
		if mod == nil || len(mod.versions) == 0 {
			reason := "unloaded"
			if mod != nil && mod.ConfigErr != nil {
				reason = mod.ConfigErr.Error()
			}
			out = append(out, IndexEntry{Name: rm.Name, State: "UNAVAILABLE", Reason: reason})
			continue
		}
		for _, v := range mod.versions {
			st := v.Status()
			e := IndexEntry{Name: rm.Name, Version: v.Label(), State: "READY"}
			if st.State != StateAvailable {
				e.State, e.Reason = "UNAVAILABLE", string(st.State)
				if st.Err != nil {
					e.Reason = st.Err.Error()
				}
			}
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LoadModel loads (or reloads) the named model from the repository. Under
// explicit control this is how models become AVAILABLE; it works in the
// default mode too, as a forced re-read of one model.
func (m *Manager) LoadModel(ctx context.Context, name string) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	if m.repo == nil {
		return errNoRepository
	}
	e, err := m.repo.GetNow(ctx, name)
	if err != nil {
		return fmt.Errorf("%w: model %q in the repository: %v", ErrNotFound, name, err)
	}
	old, _ := m.Model(name)
	if old != nil && old.Unloaded {
		old = nil
	}
	if e.Config.IsPipeline() {
		m.checkPipelines()
		_, deps := m.pipelineRefs([]repository.Entry{e})
		e = m.withDepsID([]repository.Entry{e}, deps, m.pipelineNames(e.Name))[0]
	}
	m.syncModel(ctx, e, old)
	mod, _ := m.Model(name)
	if mod == nil || mod.Default() == nil {
		if mod != nil && mod.ConfigErr != nil {
			return fmt.Errorf("%w: model %q failed to load: %v", ErrUnavailable, name, mod.ConfigErr)
		}
		return fmt.Errorf("%w: model %q has no version that loaded", ErrUnavailable, name)
	}
	return nil
}

// UnloadModel retires every version of the named model; requests in
// flight finish first.
func (m *Manager) UnloadModel(name string) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	old, err := m.Model(name)
	if err != nil {
		return err
	}
	m.publish(&ServedModel{Name: name, Config: old.Config, ConfigErr: old.ConfigErr, Unloaded: true, configID: old.configID})
	m.retireAll(old.versions)
	return nil
}

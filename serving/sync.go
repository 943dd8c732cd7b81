package serving

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/inferd/inferd/repository"
)

// maxPasses bounds the plan-apply rounds of one model in one sync: a
// round that loads is followed by one that retires, and failed loads are
// not retried, so two rounds suffice; the bound only guards against a
// repository changing under the sync.
const maxPasses = 4

// parallelLoads bounds the models one sync reconciles at once. Models are
// independent: a slow or stuck load (bounded by the load timeout) holds
// one slot while the others load; the bound keeps a repository of many
// large models from loading them all at once.
const parallelLoads = 4

// Sync brings the served versions in line with the repository: new
// versions load (and become AVAILABLE only once loaded and warmed up),
// versions the policy no longer selects and removed versions are retired
// after the requests using them finish, and changed configs are applied
// (or rejected, keeping the previous one). Under explicit control only the
// models loaded through LoadModel follow the repository.
func (m *Manager) Sync(ctx context.Context) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	if m.repo == nil {
		return errNoRepository
	}
	entries, err := m.repo.List(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	// Models first, then the pipelines, which build against them.
	models, pipelines := splitPipelines(entries)
	if err := m.syncEntries(ctx, models, seen); err != nil {
		return err
	}
	m.mu.Lock()
	m.modelsKnown = true // every model of the repository is published now
	m.mu.Unlock()
	if err := m.syncPipelines(ctx, pipelines, seen); err != nil {
		return err
	}
	for _, mod := range m.Models() {
		if !seen[mod.Name] {
			m.log.Info("model removed from the repository: unloading it", "model", mod.Name)
			m.removeModel(mod.Name)
		}
	}
	return nil
}

// syncEntries reconciles entries, up to parallelLoads at once, and marks
// them seen.
func (m *Manager) syncEntries(ctx context.Context, entries []repository.Entry, seen map[string]bool) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, parallelLoads)
	for _, e := range entries {
		seen[e.Name] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		old, _ := m.Model(e.Name)
		if m.explicit && (old == nil || old.Unloaded) {
			m.publish(&ServedModel{Name: e.Name, Config: e.Config, ConfigErr: e.ConfigErr, Unloaded: true, configID: e.ConfigID})
			continue
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			m.syncModel(ctx, e, old)
		})
	}
	return nil
}

// syncModel reconciles one model: it plans, applies, and plans again
// after loading. It is called with syncMu held.
func (m *Manager) syncModel(ctx context.Context, e repository.Entry, cur *ServedModel) {
	for range maxPasses {
		p := planModel(e, cur, m.overridesFor(e))
		for _, l := range p.logs {
			m.log.Log(ctx, l.level, l.msg, l.args...)
		}
		switch {
		case p.failed != nil:
			m.publishFailed(&p.base, e, p.failed)
			m.retireAll(p.retire)
			return
		case len(p.loads) == 0:
			m.publish(p.base.withVersions(p.keep))
			m.retireAll(p.retire)
			return
		}
		m.applyLoads(ctx, &p)
		cur, _ = m.Model(e.Name)
	}
}

// publishFailed shows every version of the entry as FAILED with err.
func (m *Manager) publishFailed(base *ServedModel, e repository.Entry, err error) {
	failed := make([]*Version, 0, len(e.Versions))
	for _, f := range e.Versions {
		v := newVersion(e.Name, f, nil, e.ConfigID)
		v.setFailed(err)
		failed = append(failed, v)
	}
	m.publish(base.withVersions(failed))
}

// applyLoads loads the plan's versions: new ones are published as
// LOADING first; a reload takes its old version's place only if it loads
// (or the old one does not serve either), otherwise the old one keeps
// serving and reports the failure.
func (m *Manager) applyLoads(ctx context.Context, p *plan) {
	served := slices.Clone(p.keep)
	loads := make([]*Version, len(p.loads))
	for i, l := range p.loads {
		loads[i] = newVersion(p.base.Name, l.file, p.base.Config, p.base.configID)
		if l.replaces == nil {
			served = append(served, loads[i])
		}
	}
	m.publish(p.base.withVersions(served))
	for i, l := range p.loads {
		nv := loads[i]
		m.load(ctx, nv)
		old := l.replaces
		switch {
		case old == nil:
		case nv.State() == StateAvailable || old.State() != StateAvailable:
			served[slices.Index(served, old)] = nv
			m.publish(p.base.withVersions(served))
			m.retireVersion(old)
		default:
			err := nv.Status().Err
			old.setReloadError(nv.key(), fmt.Errorf("reloading version %d failed, the previous load keeps serving: %w", nv.Number, err))
			m.log.Error("reload failed; the previous load keeps serving", "model", nv.ModelName, "version", nv.Number, "err", err)
		}
	}
}

// publish replaces the model's snapshot and updates the state metrics.
func (m *Manager) publish(mod *ServedModel) {
	m.mu.Lock()
	old := m.models[mod.Name]
	m.models[mod.Name] = mod
	m.mu.Unlock()
	m.metrics.publish(old, mod)
}

// removeModel unloads every version of a model that left the repository.
func (m *Manager) removeModel(name string) {
	m.mu.Lock()
	old := m.models[name]
	delete(m.models, name)
	delete(m.overrides, name)
	m.mu.Unlock()
	if old != nil {
		m.metrics.forget(name, old)
		m.retireAll(old.versions)
	}
}

// retireAll retires versions in the background.
func (m *Manager) retireAll(vs []*Version) {
	for _, v := range vs {
		m.retireVersion(v)
	}
}

// retireVersion stops new requests from using v and unloads it once the
// requests holding it are done (or the drain timeout passes).
func (m *Manager) retireVersion(v *Version) {
	drained := v.retire()
	m.retiring.Add(1)
	go func() {
		defer m.retiring.Done()
		select {
		case <-drained:
		case <-time.After(m.drainTimeout):
			m.log.Warn("unloading a version with requests still in flight after the drain timeout", "model", v.ModelName, "version", v.Number)
		}
		switch unloaded, err := v.unload(); {
		case err != nil:
			m.log.Error("unloading version", "model", v.ModelName, "version", v.Number, "err", err)
		case unloaded:
			m.log.Info("model version unloaded", "model", v.ModelName, "version", v.Number)
		}
	}()
}

// WaitRetired waits until the versions retired so far are unloaded.
func (m *Manager) WaitRetired() { m.retiring.Wait() }

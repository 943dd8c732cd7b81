package serving

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// Sync brings the served versions in line with the repository: new
// versions load (and become AVAILABLE only once loaded and warmed up),
// versions the policy no longer selects and removed versions are retired
// after the requests using them finish, and changed configs are applied
// (or rejected, keeping the previous one). Under explicit control only the
// models loaded through LoadModel follow the repository.
func (m *Manager) Sync(ctx context.Context) error {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	found, err := repository.Scan(m.root)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, rm := range found {
		seen[rm.Name] = true
		if err := ctx.Err(); err != nil {
			return err
		}
		old, _ := m.Model(rm.Name)
		if m.explicit && (old == nil || old.Unloaded) {
			m.publish(&Model{Name: rm.Name, Config: rm.Config, ConfigErr: rm.ConfigErr, Unloaded: true, digest: rm.ConfigDigest})
			continue
		}
		m.syncModel(ctx, rm, old, false)
	}
	for _, mod := range m.Models() {
		if !seen[mod.Name] {
			m.log.Info("model removed from the repository: unloading it", "model", mod.Name)
			m.removeModel(mod.Name)
		}
	}
	m.initial = false
	return nil
}

// syncModel reconciles one model. It is called with syncMu held. With now,
// new files load without waiting for them to settle.
func (m *Manager) syncModel(ctx context.Context, rm repository.Model, old *Model, now bool) {
	cfg, cfgErr, digest := rm.Config, rm.ConfigErr, rm.ConfigDigest
	if old != nil && old.digest != "" && digest != old.digest && !now && !m.settledID(filepath.Join(rm.Dir, model.FileName), digest) {
		// config.yaml is being written: keep the config in effect until
		// the file has settled, so that a half-written file is never applied.
		cfg, cfgErr, digest = old.Config, old.ConfigErr, old.digest
	}
	if cfgErr != nil && old != nil && old.Config != nil {
		cfg, digest = old.Config, old.digest
		if old.ConfigErr == nil || old.ConfigErr.Error() != cfgErr.Error() {
			m.log.Error("config.yaml rejected; the previous config stays in effect", "model", rm.Name, "err", cfgErr)
		}
	} else if cfgErr != nil && (old == nil || old.ConfigErr == nil) {
		m.log.Error("model config rejected", "model", rm.Name, "err", cfgErr)
	}
	base := &Model{Name: rm.Name, Config: cfg, ConfigErr: cfgErr, digest: digest}
	if cfg == nil {
		var failed []*Version
		for _, rv := range rm.Versions {
			v := newVersion(rm.Name, rv.Number, rv.Path, nil)
			v.setFailed(fmt.Errorf("model config: %w", cfgErr))
			failed = append(failed, v)
		}
		m.publish(base.withVersions(failed))
		if old != nil {
			m.retireAll(old.versions)
		}
		return
	}
	configChanged := old == nil || old.Config == nil || old.digest != digest
	if configChanged && old != nil && old.Config != nil {
		m.log.Info("config.yaml changed: reloading the model's versions", "model", rm.Name)
	}
	base.labels, base.traffic = m.effective(rm.Name, cfg)

	// The versions on disk whose files are complete and settled.
	// A loaded version whose file is being replaced keeps serving (hold)
	// until the new file has settled.
	files := map[int]repository.Version{}
	hold := map[int]bool{}
	var stable []int
	for _, rv := range rm.Versions {
		if rv.Err != nil {
			continue // no model.onnx (yet)
		}
		files[rv.Number] = rv
		ov := old.find(rv.Number)
		switch {
		case ov != nil && ov.fileID == rv.FileID(), now, m.settled(rv):
			stable = append(stable, rv.Number)
		case ov != nil:
			stable, hold[rv.Number] = append(stable, rv.Number), true
		}
	}
	desired := cfg.Policy().Select(stable)
	for _, n := range pinned(cfg, base.labels, base.traffic) {
		if slices.Contains(stable, n) && !slices.Contains(desired, n) {
			desired = append(desired, n)
		}
	}
	slices.Sort(desired)

	// Reuse what is loaded and unchanged; load the rest beside it.
	current := map[int]*Version{}
	for _, v := range old.list() {
		current[v.Number] = v
	}
	var loads []*Version
	for _, n := range desired {
		ov := current[n]
		if ov != nil && (hold[n] || !configChanged && ov.fileID == files[n].FileID()) {
			continue
		}
		nv := newVersion(rm.Name, n, files[n].Path, cfg)
		nv.fileID, nv.generation = files[n].FileID(), m.generation.Add(1)
		nv.mirror = m.shadows.mirror
		loads = append(loads, nv)
		if ov == nil {
			current[n] = nv // visible as LOADING while it loads
		}
	}
	if len(loads) > 0 {
		m.publish(base.withVersions(sorted(current)))
	}
	for _, nv := range loads {
		m.load(ctx, nv)
		ov := current[nv.Number]
		switch {
		case nv.State() == StateAvailable || ov == nv || ov.State() != StateAvailable:
			current[nv.Number] = nv // a good load replaces; a failure shows unless an old one serves
		default:
			ov.setReloadError(fmt.Errorf("reloading version %d failed, the previous load keeps serving: %w", nv.Number, nv.Status().Err))
			m.log.Error("reload failed; the previous load keeps serving", "model", rm.Name, "version", nv.Number, "err", nv.Status().Err)
		}
	}

	// Keep versions the policy dropped only while they are pinned by a
	// label, the traffic split or a shadow, or while a selected version
	// failed (a bad version must not take a good one's place).
	healthy := true
	for _, n := range desired {
		if current[n].State() != StateAvailable {
			healthy = false
		}
	}
	pins := pinned(cfg, base.labels, base.traffic)
	keep := map[int]*Version{}
	for n, v := range current {
		_, onDisk := files[n]
		switch {
		case slices.Contains(desired, n):
			keep[n] = v
		case v.State() == StateAvailable && slices.Contains(pins, n):
			keep[n] = v
			if !onDisk {
				m.log.Warn("version removed from disk stays loaded: a label or traffic split points at it", "model", rm.Name, "version", n)
			}
		case v.State() == StateAvailable && !healthy && onDisk:
			keep[n] = v
		}
	}
	m.publish(base.withVersions(sorted(keep)))
	var retire []*Version
	for _, v := range old.list() {
		if keep[v.Number] != v {
			retire = append(retire, v)
		}
	}
	for _, nv := range loads {
		if keep[nv.Number] != nv {
			retire = append(retire, nv)
		}
	}
	m.retireAll(retire)
}

// settled reports whether a version's model file has kept the same size
// and modification time for the settle duration (at once on the first
// sync); otherwise it asks for another sync when it may have settled.
func (m *Manager) settled(rv repository.Version) bool { return m.settledID(rv.Path, rv.FileID()) }

// settledID reports whether the file at path has had the identity id
// (size and time, or a digest of its content) for the settle duration.
func (m *Manager) settledID(path, id string) bool {
	if m.initial || m.settle <= 0 {
		return true
	}
	p, ok := m.pending[path]
	if !ok || p.id != id {
		m.pending[path] = pendingFile{id: id, since: time.Now()}
		m.kickAfter(m.settle)
		return false
	}
	if time.Since(p.since) < m.settle {
		m.kickAfter(m.settle - time.Since(p.since))
		return false
	}
	delete(m.pending, path)
	return true
}

// kickAfter asks the watch loop for a sync after d.
func (m *Manager) kickAfter(d time.Duration) {
	time.AfterFunc(d+10*time.Millisecond, m.requestSync)
}

func (m *Manager) requestSync() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// pinned lists the versions that labels, the traffic split and the shadow
// point at.
func pinned(cfg *model.Config, labels map[string]int, traffic model.Traffic) []int {
	var vs []int
	for _, v := range labels {
		vs = append(vs, v)
	}
	vs = append(vs, traffic.Versions()...)
	if cfg.Shadow != nil {
		vs = append(vs, cfg.Shadow.Version)
	}
	return vs
}

// publish replaces the model's snapshot and updates the state metrics.
func (m *Manager) publish(mod *Model) {
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
			m.log.Warn("unloading a version with requests still in flight after the drain timeout", "model", v.Model, "version", v.Number)
		}
		switch unloaded, err := v.unload(); {
		case err != nil:
			m.log.Error("unloading version", "model", v.Model, "version", v.Number, "err", err)
		case unloaded:
			m.log.Info("model version unloaded", "model", v.Model, "version", v.Number)
		}
	}()
}

// WaitRetired waits until the versions retired so far are unloaded.
func (m *Manager) WaitRetired() { m.retiring.Wait() }

func (mod *Model) find(n int) *Version {
	if mod == nil {
		return nil
	}
	return mod.Version(n)
}

func (mod *Model) list() []*Version {
	if mod == nil {
		return nil
	}
	return mod.versions
}

func sorted(vs map[int]*Version) []*Version {
	out := slices.Collect(maps.Values(vs))
	slices.SortFunc(out, func(a, b *Version) int { return a.Number - b.Number })
	return out
}

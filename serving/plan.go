package serving

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// The control plane decides, then applies (the reconciler pattern): plan
// is a pure function from what the repository holds (an Entry, already
// settled), what is served (the ServedModel snapshot) and the API's
// overrides to a plan; Manager.syncModel applies it, and plans again
// after any loads until nothing is left to load.

// plan is what to do to bring one served model in line with its
// repository entry.
type plan struct {
	// base is the snapshot to publish, without versions: the config in
	// effect (the entry's, or the previous one when the entry's is
	// rejected), its error, labels and traffic.
	base ServedModel
	// failed, when set, means no config was ever valid: every version of
	// the entry shows FAILED with this error and every served one retires.
	failed error
	// loads are the versions to load. While there are any, nothing
	// retires: the plan is made again once they have loaded.
	loads []load
	// keep are the served versions that stay; retire the ones that go.
	keep, retire []*Version
	// logs are what the plan has to say (rejected configs, pinned
	// versions kept after their files went away).
	logs []logLine
}

// load is one version to load. replaces is the served version it takes
// the place of only if it loads (a reload after a file or config change);
// nil for a version that is new, shown as LOADING while it loads.
type load struct {
	file     repository.VersionEntry
	replaces *Version
}

type logLine struct {
	level slog.Level
	msg   string
	args  []any
}

// planModel plans one model. cur is nil for a model not served yet; o is
// nil without API overrides.
func planModel(e repository.Entry, cur *ServedModel, o *overrides) plan {
	p := plan{base: ServedModel{Name: e.Name}}
	p.chooseConfig(e, cur)
	cfg := p.base.Config
	if cfg == nil {
		p.failed = fmt.Errorf("model config: %w", e.ConfigErr)
		p.retire = cur.list()
		return p
	}
	if cur != nil && cur.Config != nil && cur.configID != p.base.configID {
		p.log(slog.LevelInfo, "config.yaml changed: reloading the model's versions", "model", e.Name)
	}
	p.base.labels, p.base.traffic = effective(cfg, o)
	files := map[int]repository.VersionEntry{}
	for _, f := range e.Versions {
		if f.Err == nil {
			files[f.Number] = f
		}
	}
	desired := p.desired(files)
	for _, n := range desired {
		if l, ok := p.loadFor(files[n], cur.find(n)); ok {
			p.loads = append(p.loads, l)
		}
	}
	if len(p.loads) > 0 {
		p.keep = cur.list()
		return p
	}
	p.settle(cur, desired, files)
	return p
}

// chooseConfig picks the config in effect: the entry's, unless it is
// rejected and a previous one was valid, which then stays.
func (p *plan) chooseConfig(e repository.Entry, cur *ServedModel) {
	b := &p.base
	b.Config, b.ConfigErr, b.configID = e.Config, e.ConfigErr, e.ConfigID
	if e.ConfigErr == nil {
		return
	}
	switch {
	case cur != nil && cur.Config != nil:
		b.Config, b.configID = cur.Config, cur.configID
		if cur.ConfigErr == nil || cur.ConfigErr.Error() != e.ConfigErr.Error() {
			p.log(slog.LevelError, "config.yaml rejected; the previous config stays in effect", "model", e.Name, "err", e.ConfigErr)
		}
	case cur == nil || cur.ConfigErr == nil:
		p.log(slog.LevelError, "model config rejected", "model", e.Name, "err", e.ConfigErr)
	}
}

// desired are the versions to serve: those the version policy selects
// among the loadable files, and those labels, the traffic split or the
// shadow pin.
func (p *plan) desired(files map[int]repository.VersionEntry) []int {
	stable := make([]int, 0, len(files))
	for n := range files {
		stable = append(stable, n)
	}
	slices.Sort(stable)
	desired := p.base.Config.Policy().Select(stable)
	for _, n := range p.pins() {
		if _, ok := files[n]; ok && !slices.Contains(desired, n) {
			desired = append(desired, n)
		}
	}
	slices.Sort(desired)
	return desired
}

// loadFor says whether file must be loaded: it is not served, or the
// served version was loaded from another file or config, unless loading
// this very file and config already failed while the old one kept serving.
func (p *plan) loadFor(f repository.VersionEntry, served *Version) (load, bool) {
	if served == nil {
		return load{file: f}, true
	}
	key := loadKey(f, p.base.configID)
	served.mu.RLock()
	failed := served.reloadFailed
	served.mu.RUnlock()
	if served.key() == key || failed == key {
		return load{}, false
	}
	return load{file: f, replaces: served}, true
}

// settle decides, once nothing is left to load, which served versions
// stay: the desired ones; AVAILABLE ones that labels, the traffic split or
// the shadow pin; and AVAILABLE ones still on disk while a desired version
// failed (a bad version must not take a good one's place).
func (p *plan) settle(cur *ServedModel, desired []int, files map[int]repository.VersionEntry) {
	healthy := true
	for _, n := range desired {
		if v := cur.find(n); v == nil || v.State() != StateAvailable {
			healthy = false
		}
	}
	pins := p.pins()
	for _, v := range cur.list() {
		_, onDisk := files[v.Number]
		available := v.State() == StateAvailable
		switch {
		case slices.Contains(desired, v.Number):
			p.keep = append(p.keep, v)
		case available && slices.Contains(pins, v.Number):
			p.keep = append(p.keep, v)
			if !onDisk {
				p.log(slog.LevelWarn, "version removed from disk stays loaded: a label or traffic split points at it", "model", v.ModelName, "version", v.Number)
			}
		case available && !healthy && onDisk:
			p.keep = append(p.keep, v)
		default:
			p.retire = append(p.retire, v)
		}
	}
}

// pins lists the versions that labels, the traffic split and the shadow
// point at.
func (p *plan) pins() []int {
	var vs []int
	for _, v := range p.base.labels {
		vs = append(vs, v)
	}
	vs = append(vs, p.base.traffic.Versions()...)
	if s := p.base.Config.Shadow; s != nil {
		vs = append(vs, s.Version)
	}
	return vs
}

func (p *plan) log(level slog.Level, msg string, args ...any) {
	p.logs = append(p.logs, logLine{level: level, msg: msg, args: args})
}

// effective returns the labels and traffic split in effect: config.yaml's,
// changed by the API's overrides (o may be nil).
func effective(cfg *model.Config, o *overrides) (map[string]int, model.Traffic) {
	labels := map[string]int{}
	for l, v := range cfg.VersionLabels {
		labels[l] = v
	}
	traffic := maps.Clone(cfg.Traffic)
	if o == nil {
		return labels, traffic
	}
	for l, v := range o.labels {
		if v == 0 {
			delete(labels, l)
		} else {
			labels[l] = v
		}
	}
	if o.traffic != nil {
		traffic = maps.Clone(o.traffic)
		if len(traffic) == 0 {
			traffic = nil
		}
	}
	return labels, traffic
}

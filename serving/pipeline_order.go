package serving

import (
	"context"
	"io/fs"
	"slices"
	"strings"

	"github.com/inferd/inferd/pipeline"
	"github.com/inferd/inferd/repository"
)

// A pipeline step may run another pipeline. A sync therefore builds the
// pipelines in layers, each after the pipelines its steps run, and a
// pipeline's file identity includes those pipelines, so that it builds
// again when they change. Pipelines that run each other in a cycle are
// refused: at build, a step may not run a pipeline that runs, directly or
// not, the step's own pipeline (pipeline.Target.Calls), and a cycle in
// the repository's files is named in the error of every pipeline on it.

// pipelineGraph is what the repository's pipeline files say: the other
// pipelines each one's steps name (refs, over all its versions), and the
// cycle each pipeline on one is part of ("a → b → a").
type pipelineGraph struct {
	refs   map[string][]string
	cycles map[string]string
}

func (g *pipelineGraph) cycle(name string) string {
	if g == nil {
		return ""
	}
	return g.cycles[name]
}

// syncPipelines reconciles the pipeline entries in layers, each after the
// models and the pipelines its steps run.
func (m *Manager) syncPipelines(ctx context.Context, entries []repository.Entry, seen map[string]bool) error {
	refs, deps := m.pipelineRefs(entries)
	layers, cycles := orderPipelines(entries, refs)
	m.pipeGraph.Store(&pipelineGraph{refs: refs, cycles: cycles})
	m.checkPipelines()
	with := map[string]bool{}
	for _, layer := range layers {
		if err := m.syncEntries(ctx, m.withDepsID(layer, deps, with), seen); err != nil {
			return err
		}
		for _, e := range layer {
			with[e.Name] = true
		}
	}
	return nil
}

// depsKey is a version's file of a pipeline entry.
type depsKey struct{ name, file string }

// pipelineRefs reads the pipeline.yaml of every version of the entries:
// what each version's steps name (deps, see pipeline.Spec.Names), and by
// pipeline, the other pipelines of entries that its versions name. Files
// that cannot be read or parsed are left to the build to report.
func (m *Manager) pipelineRefs(entries []repository.Entry) (refs map[string][]string, deps map[depsKey][]string) {
	isPipeline := map[string]bool{}
	for _, e := range entries {
		isPipeline[e.Name] = true
	}
	refs, deps = map[string][]string{}, map[depsKey][]string{}
	for _, e := range entries {
		fsys, err := m.source.FS(e.Name)
		if err != nil {
			continue
		}
		for _, ve := range e.Versions {
			data, err := fs.ReadFile(fsys, ve.File)
			if ve.Err != nil || err != nil {
				continue
			}
			spec, err := pipeline.Parse(data)
			if err != nil {
				continue
			}
			names := spec.Names()
			deps[depsKey{e.Name, ve.File}] = names
			for _, name := range names {
				if isPipeline[name] && !slices.Contains(refs[e.Name], name) {
					refs[e.Name] = append(refs[e.Name], name)
				}
			}
		}
	}
	return refs, deps
}

// orderPipelines sorts the entries in layers, each entry after the
// entries it refers to; entries on or behind a cycle come last. It
// returns each cycle's members with the cycle written out.
func orderPipelines(entries []repository.Entry, refs map[string][]string) (layers [][]repository.Entry, cycles map[string]string) {
	placed := map[string]bool{}
	left := entries
	for len(left) > 0 {
		var layer, rest []repository.Entry
		for _, e := range left {
			if !slices.ContainsFunc(refs[e.Name], func(r string) bool { return !placed[r] }) {
				layer = append(layer, e)
			} else {
				rest = append(rest, e)
			}
		}
		if len(layer) == 0 {
			break
		}
		for _, e := range layer {
			placed[e.Name] = true
		}
		layers, left = append(layers, layer), rest
	}
	cycles = map[string]string{}
	for _, e := range left {
		if path := cycleFrom(e.Name, refs); path != nil {
			cycles[e.Name] = strings.Join(path, " → ")
		}
	}
	if len(left) > 0 {
		layers = append(layers, left)
	}
	return layers, cycles
}

// cycleFrom returns a path of refs from name back to name, or nil.
func cycleFrom(name string, refs map[string][]string) []string {
	seen := map[string]bool{}
	var walk func(at string, path []string) []string
	walk = func(at string, path []string) []string {
		for _, next := range refs[at] {
			if next == name {
				return append(path, next)
			}
			if !seen[next] {
				seen[next] = true
				if p := walk(next, append(path, next)); p != nil {
					return p
				}
			}
		}
		return nil
	}
	return walk(name, []string{name})
}

// pipelineCalls are the pipelines that the named pipeline runs, directly
// or not, by its loaded versions and by its files.
func (m *Manager) pipelineCalls(name string, g *pipelineGraph) []string {
	var calls []string
	if mod, err := m.Model(name); err == nil {
		for _, v := range mod.versions {
			if p := v.Pipeline(); p != nil {
				calls = append(calls, p.Calls()...)
			}
		}
	}
	if g != nil {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(at string) {
			for _, r := range g.refs[at] {
				if !seen[r] {
					seen[r] = true
					calls = append(calls, r)
					walk(r)
				}
			}
		}
		walk(name)
	}
	slices.Sort(calls)
	return slices.Compact(calls)
}

// pipelineNames are the names of the pipelines served, but for except.
func (m *Manager) pipelineNames(except string) map[string]bool {
	names := map[string]bool{}
	for _, mod := range m.Models() {
		if mod.Config.IsPipeline() && mod.Name != except {
			names[mod.Name] = true
		}
	}
	return names
}

package serving

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// The control plane's decisions, table-tested without files, engines or
// sleeps: an entry as the repository lists it, a served snapshot, and the
// plan that must come out.

func mustConfig(t *testing.T, yaml string) *model.Config {
	t.Helper()
	c, err := model.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// entryOf is model "m" with config cfg (ID cfgID) and version files
// number -> file ID ("" for a version without a model file).
func entryOf(cfg *model.Config, cfgID string, files map[int]string) repository.Entry {
	e := repository.Entry{Name: "m", Config: cfg, ConfigID: cfgID}
	for n := 1; n <= 9; n++ {
		id, ok := files[n]
		if !ok {
			continue
		}
		f := repository.VersionEntry{Number: n, File: fmt.Sprintf("%d/model.onnx", n), FileID: id}
		if id == "" {
			f.Err = errors.New("no model.onnx")
		}
		e.Versions = append(e.Versions, f)
	}
	return e
}

// servedVersion is a version loaded from file ID id with config cfgID.
type servedVersion struct {
	state State
	id    string
	cfgID string
}

func servedOf(cfg *model.Config, cfgID string, vs map[int]servedVersion) *ServedModel {
	mod := &ServedModel{Name: "m", Config: cfg, configID: cfgID}
	mod.labels, mod.traffic = effective(cfg, nil)
	var list []*Version
	for n, sv := range vs {
		v := newVersion("m", repository.VersionEntry{Number: n, File: fmt.Sprintf("%d/model.onnx", n), FileID: sv.id}, cfg, sv.cfgID)
		v.state = sv.state
		list = append(list, v)
	}
	return mod.withVersions(list)
}

func numbers(vs []*Version) []int {
	var ns []int
	for _, v := range vs {
		ns = append(ns, v.Number)
	}
	slices.Sort(ns)
	return ns
}

func describeLoads(ls []load) string {
	var s []string
	for _, l := range ls {
		kind := "new"
		if l.replaces != nil {
			kind = "replace"
		}
		s = append(s, fmt.Sprintf("%d:%s", l.file.Number, kind))
	}
	return strings.Join(s, " ")
}

// planCase is one decision of the control plane.
type planCase struct {
	name       string
	entry      repository.Entry
	served     *ServedModel
	overrides  *overrides
	wantLoads  string
	wantKeep   []int
	wantRetire []int
	wantLog    string
}

// planCases are the decisions of a model's life: first load, a new
// version, failures, reloads, config changes, pins and removals.
func planCases(t *testing.T) []planCase {
	latest := mustConfig(t, "platform: onnx\n")
	labelled := mustConfig(t, "version_labels: {stable: 1}\n")
	all := mustConfig(t, "version_policy: all\n")
	ok := func(id string) servedVersion { return servedVersion{StateAvailable, id, "c1"} }
	return []planCase{
		{name: "new model loads the latest version",
			entry: entryOf(latest, "c1", map[int]string{1: "a", 2: "b"}), wantLoads: "2:new"},
		{name: "a new version loads beside the one serving",
			entry:  entryOf(latest, "c1", map[int]string{1: "a", 2: "b"}),
			served: servedOf(latest, "c1", map[int]servedVersion{1: ok("a")}), wantLoads: "2:new", wantKeep: []int{1}},
		{name: "once it is AVAILABLE the old one retires",
			entry:  entryOf(latest, "c1", map[int]string{1: "a", 2: "b"}),
			served: servedOf(latest, "c1", map[int]servedVersion{1: ok("a"), 2: ok("b")}), wantKeep: []int{2}, wantRetire: []int{1}},
		{name: "a failed new version does not take the old one's place",
			entry:  entryOf(latest, "c1", map[int]string{1: "a", 2: "b"}),
			served: servedOf(latest, "c1", map[int]servedVersion{1: ok("a"), 2: {StateFailed, "b", "c1"}}), wantKeep: []int{1, 2}},
		{name: "a changed file reloads beside the copy serving",
			entry:  entryOf(latest, "c1", map[int]string{1: "a2"}),
			served: servedOf(latest, "c1", map[int]servedVersion{1: ok("a")}), wantLoads: "1:replace", wantKeep: []int{1}},
		{name: "a changed config reloads every served version",
			entry:  entryOf(all, "c2", map[int]string{1: "a", 2: "b"}),
			served: servedOf(all, "c1", map[int]servedVersion{1: ok("a"), 2: ok("b")}), wantLoads: "1:replace 2:replace", wantKeep: []int{1, 2},
			wantLog: "config.yaml changed"},
		{name: "a rejected config keeps the previous one",
			entry:  repository.Entry{Name: "m", ConfigErr: errors.New("bad yaml"), ConfigID: "c2", Versions: entryOf(latest, "", map[int]string{1: "a"}).Versions},
			served: servedOf(latest, "c1", map[int]servedVersion{1: ok("a")}), wantKeep: []int{1}, wantLog: "config.yaml rejected"},
		{name: "a label pins a version the policy dropped",
			entry:  entryOf(labelled, "c1", map[int]string{1: "a", 2: "b"}),
			served: servedOf(labelled, "c1", map[int]servedVersion{1: ok("a"), 2: ok("b")}), wantKeep: []int{1, 2}},
		{name: "a pinned version stays after its file goes",
			entry:  entryOf(labelled, "c1", map[int]string{2: "b"}),
			served: servedOf(labelled, "c1", map[int]servedVersion{1: ok("a"), 2: ok("b")}), wantKeep: []int{1, 2}, wantLog: "version removed from disk stays loaded"},
		{name: "deleting the label through the API unpins it",
			entry:     entryOf(labelled, "c1", map[int]string{1: "a", 2: "b"}),
			served:    servedOf(labelled, "c1", map[int]servedVersion{1: ok("a"), 2: ok("b")}),
			overrides: &overrides{labels: map[string]int{"stable": 0}}, wantKeep: []int{2}, wantRetire: []int{1}},
		{name: "a traffic split set through the API pins its versions",
			entry:     entryOf(latest, "c1", map[int]string{1: "a", 2: "b"}),
			served:    servedOf(latest, "c1", map[int]servedVersion{1: ok("a"), 2: ok("b")}),
			overrides: &overrides{traffic: model.Traffic{1: 90, 2: 10}}, wantKeep: []int{1, 2}},
		{name: "a removed unpinned version retires",
			entry:  entryOf(all, "c1", map[int]string{2: "b"}),
			served: servedOf(all, "c1", map[int]servedVersion{1: ok("a"), 2: ok("b")}), wantKeep: []int{2}, wantRetire: []int{1}},
		{name: "a version without a model file is not loaded",
			entry:  entryOf(latest, "c1", map[int]string{1: "a", 2: ""}),
			served: servedOf(latest, "c1", map[int]servedVersion{1: ok("a")}), wantKeep: []int{1}},
	}
}

func TestPlanModel(t *testing.T) {
	for _, tt := range planCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			p := planModel(tt.entry, tt.served, tt.overrides)
			if p.failed != nil {
				t.Fatalf("failed: %v", p.failed)
			}
			if got := describeLoads(p.loads); got != tt.wantLoads {
				t.Errorf("loads = %q, want %q", got, tt.wantLoads)
			}
			if got := numbers(p.keep); !slices.Equal(got, tt.wantKeep) {
				t.Errorf("keep = %v, want %v", got, tt.wantKeep)
			}
			if got := numbers(p.retire); !slices.Equal(got, tt.wantRetire) {
				t.Errorf("retire = %v, want %v", got, tt.wantRetire)
			}
			var logs []string
			for _, l := range p.logs {
				logs = append(logs, l.msg)
			}
			if all := strings.Join(logs, "; "); tt.wantLog == "" && all != "" || !strings.Contains(all, tt.wantLog) {
				t.Errorf("logs = %q, want %q", all, tt.wantLog)
			}
		})
	}
}

func TestPlanRejectedConfig(t *testing.T) {
	cfg := mustConfig(t, "platform: onnx\n")
	bad := repository.Entry{Name: "m", ConfigErr: errors.New("bad yaml"), ConfigID: "c2", Versions: entryOf(cfg, "", map[int]string{1: "a"}).Versions}

	t.Run("never valid: every version FAILED, every served one retires", func(t *testing.T) {
		p := planModel(bad, nil, nil)
		if p.failed == nil || !strings.Contains(p.failed.Error(), "model config: bad yaml") {
			t.Fatalf("failed = %v", p.failed)
		}
		if len(p.loads) != 0 || len(p.logs) != 1 || p.logs[0].level != slog.LevelError {
			t.Fatalf("loads %v, logs %+v", p.loads, p.logs)
		}
	})
	t.Run("previous config kept, the error reported once", func(t *testing.T) {
		served := servedOf(cfg, "c1", map[int]servedVersion{1: {StateAvailable, "a", "c1"}})
		p := planModel(bad, served, nil)
		if p.base.Config != cfg || p.base.ConfigErr == nil || p.base.configID != "c1" {
			t.Fatalf("base = %+v", p.base)
		}
		served.ConfigErr = bad.ConfigErr
		if p := planModel(bad, served, nil); len(p.logs) != 0 {
			t.Errorf("the same rejection is logged again: %+v", p.logs)
		}
	})
	t.Run("a failed reload is not retried until something changes", func(t *testing.T) {
		e := entryOf(cfg, "c1", map[int]string{1: "a2"})
		served := servedOf(cfg, "c1", map[int]servedVersion{1: {StateAvailable, "a", "c1"}})
		served.versions[0].reloadFailed = loadKey(e.Versions[0], "c1")
		if p := planModel(e, served, nil); len(p.loads) != 0 || !slices.Equal(numbers(p.keep), []int{1}) {
			t.Fatalf("loads %q keep %v", describeLoads(p.loads), numbers(p.keep))
		}
		e = entryOf(cfg, "c1", map[int]string{1: "a3"})
		if p := planModel(e, served, nil); describeLoads(p.loads) != "1:replace" {
			t.Fatalf("a newer file: loads %q", describeLoads(p.loads))
		}
	})
}

package imagebuild

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// Selector picks a model, and optionally one of its versions, for an image.
// It is written NAME or NAME:VERSION, where VERSION is a number (3 or v3)
// or one of the model's version labels (production).
type Selector struct {
	Model string
	// Version is empty for every version of the model.
	Version string
}

// String returns the selector as written on the command line.
func (s Selector) String() string {
	if s.Version == "" {
		return s.Model
	}
	return s.Model + ":" + s.Version
}

// ParseSelector parses NAME or NAME:VERSION.
func ParseSelector(s string) (Selector, error) {
	name, version, hasVersion := strings.Cut(s, ":")
	if !model.ValidName(name) {
		return Selector{}, fmt.Errorf("model selector %q: %q is not a valid model name (letters, digits, _ . -)", s, name)
	}
	if hasVersion && version == "" {
		return Selector{}, fmt.Errorf("model selector %q: empty version after ':'", s)
	}
	return Selector{Model: name, Version: version}, nil
}

// Model is a model as put in an image: its name, directory on disk and the
// selected versions.
type Model struct {
	Name     string
	Dir      string
	Versions []ModelVersion
	// Labels are the model's version labels (from config.yaml).
	Labels map[string]int
}

// ModelVersion is one selected version and the digest of its model file.
type ModelVersion struct {
	Number int
	Dir    string
	// SHA256 is the hex sha256 of the version's model file.
	SHA256 string
	Size   int64
}

// SelectModels scans the repository at root and returns the selected models
// with their versions, in name order. No selector selects every model and
// version. Models whose config.yaml is invalid and versions without a
// readable model file are errors when selected: an image never carries a
// model that cannot load.
func SelectModels(root string, sels []Selector) ([]Model, error) {
	scanned, err := repository.NewDir(root).List(context.Background())
	if err != nil {
		return nil, err
	}
	c, err := choose(root, scanned, sels)
	if err != nil {
		return nil, err
	}
	var out []Model
	for _, m := range scanned {
		if !c.model(m.Name) {
			continue
		}
		sel, err := selectedModel(root, m, c)
		if err != nil {
			return nil, err
		}
		out = append(out, sel)
	}
	slices.SortFunc(out, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// choice is what the selectors chose: models with every version (all),
// and the versions picked of others.
type choice struct {
	all    map[string]bool
	picked map[string]map[int]bool
}

// model reports whether some version of the model is chosen.
func (c *choice) model(name string) bool { return c.all[name] || c.picked[name] != nil }

// version reports whether version n of the model is chosen.
func (c *choice) version(name string, n int) bool { return c.all[name] || c.picked[name][n] }

// choose resolves the selectors against the scanned models (every model
// without one), refusing a model that is not there or whose config.yaml is
// invalid, and a version that does not resolve.
func choose(root string, scanned []repository.Entry, sels []Selector) (*choice, error) {
	byName := map[string]repository.Entry{}
	for _, m := range scanned {
		byName[m.Name] = m
	}
	c := &choice{all: map[string]bool{}, picked: map[string]map[int]bool{}}
	if len(sels) == 0 {
		for _, m := range scanned {
			c.all[m.Name] = true
		}
	}
	for _, s := range sels {
		m, ok := byName[s.Model]
		if !ok {
			return nil, fmt.Errorf("model %q is not in repository %s (it has: %s)", s.Model, root, modelNames(scanned))
		}
		if m.ConfigErr != nil {
			return nil, fmt.Errorf("model %s: %w", s.Model, m.ConfigErr)
		}
		if s.Version == "" {
			c.all[s.Model] = true
			continue
		}
		n, err := resolveVersion(m, s.Version)
		if err != nil {
			return nil, fmt.Errorf("model selector %s: %w", s, err)
		}
		if c.picked[s.Model] == nil {
			c.picked[s.Model] = map[int]bool{}
		}
		c.picked[s.Model][n] = true
	}
	if len(c.all) == 0 && len(c.picked) == 0 {
		return nil, fmt.Errorf("repository %s holds no models", root)
	}
	return c, nil
}

// selectedModel returns model m with its chosen versions, each with the
// digest and size of its model file.
func selectedModel(root string, m repository.Entry, c *choice) (Model, error) {
	if m.ConfigErr != nil {
		return Model{}, fmt.Errorf("model %s: %w", m.Name, m.ConfigErr)
	}
	dir := filepath.Join(root, m.Name)
	sel := Model{Name: m.Name, Dir: dir, Labels: m.Config.VersionLabels}
	for _, v := range m.Versions {
		if !c.version(m.Name, v.Number) {
			continue
		}
		if v.Err != nil {
			return Model{}, fmt.Errorf("model %s: %w", m.Name, v.Err)
		}
		sum, size, err := repository.FileSHA256(filepath.Join(dir, filepath.FromSlash(v.File)))
		if err != nil {
			return Model{}, fmt.Errorf("model %s version %d: %w", m.Name, v.Number, err)
		}
		sel.Versions = append(sel.Versions, ModelVersion{Number: v.Number, Dir: filepath.Join(dir, strconv.Itoa(v.Number)), SHA256: sum, Size: size})
	}
	if len(sel.Versions) == 0 {
		return Model{}, fmt.Errorf("model %s has no versions (numbered directories holding %s)", m.Name, repository.ModelFile)
	}
	return sel, nil
}

// resolveVersion turns a selector's version (3, v3 or a label) into a
// version number present in m.
func resolveVersion(m repository.Entry, s string) (int, error) {
	n, err := model.ParseVersion(s)
	if err != nil {
		label, ok := m.Config.VersionLabels[s]
		if !ok {
			return 0, fmt.Errorf("%q is neither a version number nor a version label of %s", s, m.Name)
		}
		n = label
	}
	for _, v := range m.Versions {
		if v.Number == n {
			return n, nil
		}
	}
	return 0, fmt.Errorf("model %s has no version %d", m.Name, n)
}

func modelNames(ms []repository.Entry) string {
	if len(ms) == 0 {
		return "no models"
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

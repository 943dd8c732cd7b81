package drift

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/inferd/inferd/monitor/sketch"
)

// FileName is a profile's file name beside a version's model file.
const FileName = "profile.json"

// Profile is the reference distribution of a model version's features.
type Profile struct {
	Model   string    `json:"model"`
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Source says what the profile was built from.
	Source      string                  `json:"source"`
	Rows        int64                   `json:"rows"`
	Numeric     map[string]*Numeric     `json:"numeric"`
	Categorical map[string]*Categorical `json:"categorical"`
	// Calibration is the alarm threshold, when it was calibrated.
	Calibration *Calibration `json:"calibration,omitempty"`
}

// Numeric profiles a numeric feature.
type Numeric struct {
	Count   int64             `json:"count"`
	Missing int64             `json:"missing"`
	Mean    float64           `json:"mean"`
	M2      float64           `json:"m2"` // sum of squared deviations (Welford)
	Sketch  *sketch.Quantiles `json:"sketch"`

	// points caches the sketch's CDF for the tests; Add and Merge drop it.
	points *cdfPoints
}

type cdfPoints struct{ xs, cdf []float64 }

// cdf returns the sketch's points and CDF, computed once per change.
func (n *Numeric) cdf() ([]float64, []float64) {
	if n.points == nil {
		xs, cdf := n.Sketch.Points()
		n.points = &cdfPoints{xs, cdf}
	}
	return n.points.xs, n.points.cdf
}

// Std is the feature's standard deviation.
func (n *Numeric) Std() float64 {
	if n.Count < 2 {
		return 0
	}
	return math.Sqrt(n.M2 / float64(n.Count))
}

// Categorical profiles a categorical feature.
type Categorical struct {
	Count    int64            `json:"count"`
	Missing  int64            `json:"missing"`
	Frequent *sketch.Frequent `json:"frequent"`
}

// NewProfile returns an empty profile.
func NewProfile(model string, version int, source string) *Profile {
	return &Profile{Model: model, Version: version, Source: source, Created: time.Now().UTC(),
		Numeric: map[string]*Numeric{}, Categorical: map[string]*Categorical{}}
}

// Add adds a row. A feature the row lacks (or a NaN) counts as missing.
func (p *Profile) Add(r Row) {
	p.Rows++
	for name, v := range r.Num {
		n := p.Numeric[name]
		if n == nil {
			n = &Numeric{Sketch: sketch.NewQuantiles(0), Missing: p.Rows - 1}
			p.Numeric[name] = n
		}
		if math.IsNaN(v) {
			n.Missing++
			continue
		}
		n.Count++
		n.points = nil
		d := v - n.Mean
		n.Mean += d / float64(n.Count)
		n.M2 += d * (v - n.Mean)
		n.Sketch.Add(v)
	}
	for name, v := range r.Cat {
		c := p.Categorical[name]
		if c == nil {
			c = &Categorical{Frequent: sketch.NewFrequent(0), Missing: p.Rows - 1}
			p.Categorical[name] = c
		}
		c.Count++
		c.Frequent.Add(v)
	}
	for name, n := range p.Numeric {
		if _, ok := r.Num[name]; !ok {
			n.Missing++
		}
	}
	for name, c := range p.Categorical {
		if _, ok := r.Cat[name]; !ok {
			c.Missing++
		}
	}
}

// Merge adds o (a profile of the same model built elsewhere) to p.
func (p *Profile) Merge(o *Profile) {
	for name, on := range o.Numeric {
		n := p.Numeric[name]
		if n == nil {
			p.Numeric[name] = &Numeric{Missing: p.Rows + on.Missing, Count: on.Count, Mean: on.Mean, M2: on.M2, Sketch: on.Sketch}
			continue
		}
		total := n.Count + on.Count
		if total > 0 {
			d := on.Mean - n.Mean
			n.M2 += on.M2 + d*d*float64(n.Count)*float64(on.Count)/float64(total)
			n.Mean += d * float64(on.Count) / float64(total)
		}
		n.Count, n.Missing = total, n.Missing+on.Missing
		n.Sketch.Merge(on.Sketch)
		n.points = nil
	}
	for name, oc := range o.Categorical {
		c := p.Categorical[name]
		if c == nil {
			p.Categorical[name] = &Categorical{Missing: p.Rows + oc.Missing, Count: oc.Count, Frequent: oc.Frequent}
			continue
		}
		c.Count, c.Missing = c.Count+oc.Count, c.Missing+oc.Missing
		c.Frequent.Merge(oc.Frequent)
	}
	p.Rows += o.Rows
	p.Calibration = nil // no longer valid
}

// Features returns the profile's feature names in order.
func (p *Profile) Features() []string {
	var names []string
	for n := range p.Numeric {
		names = append(names, n)
	}
	for n := range p.Categorical {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Save writes the profile to path (atomically: a temporary file renamed).
func (p *Profile) Save(path string) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".profile-*.json")
	if err != nil {
		return fmt.Errorf("saving profile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("saving profile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving profile: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("saving profile: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// Load reads a profile written by Save.
func Load(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading profile: %w", err)
	}
	return decode(b, path)
}

// LoadFS reads a profile from a file system, such as a model's files in
// the repository (repository.Source's FS).
func LoadFS(fsys fs.FS, name string) (*Profile, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("reading profile: %w", err)
	}
	return decode(b, name)
}

// decode parses a profile's JSON; path names it in errors.
func decode(b []byte, path string) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("profile %s: %w", path, err)
	}
	if p.Numeric == nil {
		p.Numeric = map[string]*Numeric{}
	}
	if p.Categorical == nil {
		p.Categorical = map[string]*Categorical{}
	}
	return &p, nil
}

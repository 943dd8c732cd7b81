package evaluate

import (
	"strconv"
	"strings"

	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/evaluate/fairness"
)

// collected is what evaluation keeps per row, compactly (about 4·K+16
// bytes a row): the true class or value, the scores as float32 (the
// models' own precision), the weight when the dataset has weights, and
// ids of the row's group and slice values.
type collected struct {
	k       int
	classes map[string]int
	regress bool

	yTrue   []int32
	yValue  []float64
	scores  []float32
	weights []float64

	groupKeys dict
	groups    []int32
	sliceCols []string
	buckets   map[string]Buckets
	sliceKeys []dict
	slices    [][]int32
	groupCols []string

	// seen counts the rows added; past sampler.limit only a sample of
	// them is kept.
	seen    int
	sampler sampler
}

// dict interns strings.
type dict struct {
	ids   map[string]int32
	names []string
}

func (d *dict) id(s string) int32 {
	if d.ids == nil {
		d.ids = map[string]int32{}
	}
	id, ok := d.ids[s]
	if !ok {
		id = int32(len(d.names))
		d.ids[s] = id
		d.names = append(d.names, s)
	}
	return id
}

func newCollected(m *Model, spec dataset.Spec) *collected {
	c := &collected{k: len(m.Classes), regress: len(m.Classes) == 1, classes: map[string]int{},
		groupCols: spec.Groups, sliceCols: spec.Slices}
	for i, name := range m.Classes {
		c.classes[name] = i
	}
	c.sliceKeys = make([]dict, len(spec.Slices))
	c.slices = make([][]int32, len(spec.Slices))
	return c
}

// add records one row with its scores.
func (c *collected) add(r *dataset.Row, scores []float64, weighted bool) error {
	c.seen++
	if c.regress {
		v, err := strconv.ParseFloat(r.Label, 64)
		if err != nil {
			return r.Errorf("label %q is not a number (the model is a regression model)", r.Label)
		}
		c.yValue = append(c.yValue, v)
	} else {
		t, err := c.classOf(r)
		if err != nil {
			return err
		}
		c.yTrue = append(c.yTrue, int32(t))
	}
	for _, s := range scores {
		c.scores = append(c.scores, float32(s))
	}
	if weighted {
		c.weights = append(c.weights, r.Weight)
	}
	if len(c.groupCols) > 0 {
		c.groups = append(c.groups, c.groupKeys.id(fairness.Key(c.groupCols, r.Groups)))
	}
	for i, col := range c.sliceCols {
		v := r.Slices[i]
		if b := c.buckets[col]; b != nil {
			var err error
			if v, err = b.bucketOf(r, col, v); err != nil {
				return err
			}
		}
		c.slices[i] = append(c.slices[i], c.sliceKeys[i].id(v))
	}
	return nil
}

// classOf maps a row's label to a class: by label name, else as a class
// index.
func (c *collected) classOf(r *dataset.Row) (int, error) {
	if t, ok := c.classes[r.Label]; ok {
		return t, nil
	}
	if t, err := strconv.Atoi(r.Label); err == nil && t >= 0 && t < c.k {
		return t, nil
	}
	return 0, r.Errorf("unknown class %q (the model's %d classes: %s)", r.Label, c.k, shortList(c.classNames()))
}

func (c *collected) classNames() []string {
	out := make([]string, c.k)
	for name, i := range c.classes {
		out[i] = name
	}
	return out
}

func shortList(s []string) string {
	if len(s) > 12 {
		return strings.Join(s[:12], ", ") + ", …"
	}
	return strings.Join(s, ", ")
}

// rows is the number of rows kept.
func (c *collected) rows() int {
	if c.regress {
		return len(c.yValue)
	}
	return len(c.yTrue)
}

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

	// The kept rows' columns, in blocks (column): scores has k values a
	// row; weights is empty unless weighted, groups unless there are group
	// columns.
	yTrue    column[int32]
	yValue   column[float64]
	scores   column[float32]
	weighted bool
	weights  column[float64]

	groupKeys dict
	groups    column[int32]
	sliceCols []string
	buckets   map[string]Buckets
	sliceKeys []dict
	slices    []column[int32]
	groupCols []string
	// kept are the columns in use.
	kept []keptColumn

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
		groupCols: spec.Groups, sliceCols: spec.Slices, weighted: spec.Weight != "",
		yTrue: newColumn[int32](1), yValue: newColumn[float64](1), scores: newColumn[float32](max(len(m.Classes), 1)),
		weights: newColumn[float64](1), groups: newColumn[int32](1)}
	for i, name := range m.Classes {
		c.classes[name] = i
	}
	c.sliceKeys = make([]dict, len(spec.Slices))
	c.slices = make([]column[int32], len(spec.Slices))
	for i := range c.slices {
		c.slices[i] = newColumn[int32](1)
		c.kept = append(c.kept, &c.slices[i])
	}
	c.kept = append(c.kept, &c.scores, &c.yTrue)
	if c.regress {
		c.kept[len(c.kept)-1] = &c.yValue
	}
	if c.weighted {
		c.kept = append(c.kept, &c.weights)
	}
	if len(c.groupCols) > 0 {
		c.kept = append(c.kept, &c.groups)
	}
	return c
}

// add records one row with its scores.
func (c *collected) add(r *dataset.Row, scores []float64) error {
	c.seen++
	if c.regress {
		v, err := strconv.ParseFloat(r.Label, 64)
		if err != nil {
			return r.Errorf("label %q is not a number (the model is a regression model)", r.Label)
		}
		c.yValue.append(v)
	} else {
		t, err := c.classOf(r)
		if err != nil {
			return err
		}
		c.yTrue.append(int32(t))
	}
	row := c.scores.push()
	for i, s := range scores {
		row[i] = float32(s)
	}
	if c.weighted {
		c.weights.append(r.Weight)
	}
	if len(c.groupCols) > 0 {
		c.groups.append(c.groupKeys.id(fairness.Key(c.groupCols, r.Groups)))
	}
	for i, col := range c.sliceCols {
		v := r.Slices[i]
		if b := c.buckets[col]; b != nil {
			var err error
			if v, err = b.bucketOf(r, col, v); err != nil {
				return err
			}
		}
		c.slices[i].append(c.sliceKeys[i].id(v))
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
		return c.yValue.len()
	}
	return c.yTrue.len()
}

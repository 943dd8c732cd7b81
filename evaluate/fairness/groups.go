package fairness

import (
	"fmt"
	"slices"
	"strings"
)

// Groups assigns each sample a group id; Names[id] names the group as
// "col=value[,col=value…]".
type Groups struct {
	Columns []string
	Names   []string
	IDs     []int
}

// Count is the number of samples in each group.
func (g *Groups) Count() []int {
	n := make([]int, len(g.Names))
	for _, id := range g.IDs {
		n[id]++
	}
	return n
}

// Intersect groups samples by the values of several columns at once:
// values[c][i] is column c's value for sample i. Group names are sorted.
// An empty value is an error naming the column and the sample.
func Intersect(columns []string, values [][]string) (*Groups, error) {
	if len(columns) == 0 || len(columns) != len(values) {
		return nil, fmt.Errorf("fairness: %d group columns with %d value lists", len(columns), len(values))
	}
	n := len(values[0])
	keys := make([]string, n)
	row := make([]string, len(columns))
	for i := range n {
		for c, col := range columns {
			if len(values[c]) != n {
				return nil, fmt.Errorf("fairness: column %q has %d values, want %d", col, len(values[c]), n)
			}
			if values[c][i] == "" {
				return nil, fmt.Errorf("fairness: sample %d has no value for group column %q", i, col)
			}
			row[c] = values[c][i]
		}
		keys[i] = Key(columns, row)
	}
	return FromKeys(columns, keys), nil
}

// Key names the group of a sample with the given values of the group
// columns: "col=value[,col=value…]".
func Key(columns, values []string) string {
	var b strings.Builder
	for c, col := range columns {
		if c > 0 {
			b.WriteByte(',')
		}
		b.WriteString(col + "=" + values[c])
	}
	return b.String()
}

// FromKeys groups samples by a key each.
func FromKeys(columns, keys []string) *Groups {
	names := slices.Clone(keys)
	slices.Sort(names)
	names = slices.Compact(names)
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	g := &Groups{Columns: columns, Names: names, IDs: make([]int, len(keys))}
	for i, k := range keys {
		g.IDs[i] = index[k]
	}
	return g
}

// Small are the groups with fewer than min samples, too small to judge.
func (g *Groups) Small(min int) []string {
	var out []string
	for id, n := range g.Count() {
		if n < min {
			out = append(out, g.Names[id])
		}
	}
	return out
}

package evaluate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/inferd/inferd/evaluate/dataset"
)

// Buckets are the edges that cut a numeric slice column into ranges:
// edges e1 < e2 < … give the slices "<e1", "[e1, e2)", …, ">=en".
type Buckets []float64

// ParseBuckets reads "COLUMN=E1:E2:…", the --buckets flag.
func ParseBuckets(s string) (string, Buckets, error) {
	col, list, ok := strings.Cut(s, "=")
	if !ok || col == "" || list == "" {
		return "", nil, fmt.Errorf("buckets %q: want COLUMN=E1:E2:… (ascending edges)", s)
	}
	var b Buckets
	for _, e := range strings.Split(list, ":") {
		v, err := strconv.ParseFloat(strings.TrimSpace(e), 64)
		if err != nil {
			return "", nil, fmt.Errorf("buckets %q: edge %q is not a number", s, e)
		}
		if len(b) > 0 && v <= b[len(b)-1] {
			return "", nil, fmt.Errorf("buckets %q: edges must ascend", s)
		}
		b = append(b, v)
	}
	return col, b, nil
}

// label is the bucket of value v.
func (b Buckets) label(v float64) string {
	i, _ := slices.BinarySearch(b, v)
	if i < len(b) && b[i] == v {
		i++ // ranges include their lower edge
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case i == 0:
		return "<" + f(b[0])
	case i == len(b):
		return ">=" + f(b[len(b)-1])
	}
	return "[" + f(b[i-1]) + ", " + f(b[i]) + ")"
}

// bucketOf is a row's slice value of a bucketed column.
func (b Buckets) bucketOf(r *dataset.Row, col, value string) (string, error) {
	v, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return "", r.Errorf("slice column %q has buckets, but %q is not a number", col, value)
	}
	return b.label(v), nil
}

package testutil

import "slices"

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none. xs is left as it was.
func Median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

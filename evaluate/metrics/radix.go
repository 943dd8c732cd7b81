package metrics

import "math"

// sortDescending orders idx by descending score[idx[i]] with a
// least-significant-digit radix sort on the scores' bits (eight passes of
// a byte, skipping bytes that every key shares): linear in the rows,
// where a comparison sort through the index was the largest cost of a
// report. The order within equal scores is unspecified. NaN scores come
// last.
func sortDescending(score []float64, idx []int32) {
	n := len(idx)
	if n < 2 {
		return
	}
	keys, tmpKeys := make([]uint64, n), make([]uint64, n)
	tmpIdx := make([]int32, n)
	for j, i := range idx {
		keys[j] = descendingKey(score[i])
	}
	for shift := 0; shift < 64; shift += 8 {
		var count [256]int
		for _, k := range keys {
			count[byte(k>>shift)]++
		}
		if count[byte(keys[0]>>shift)] == n {
			continue // every key has this byte
		}
		pos := 0
		for b, c := range count {
			count[b], pos = pos, pos+c
		}
		for j, k := range keys {
			b := byte(k >> shift)
			tmpKeys[count[b]], tmpIdx[count[b]] = k, idx[j]
			count[b]++
		}
		keys, tmpKeys = tmpKeys, keys
		copy(idx, tmpIdx)
	}
}

// descendingKey maps a score to a key whose ascending order is the
// scores' descending order (-0 and +0 adjacent, NaN last).
func descendingKey(s float64) uint64 {
	if math.IsNaN(s) {
		return math.MaxUint64
	}
	b := math.Float64bits(s)
	if b>>63 != 0 {
		return b // negative: larger magnitude, larger key
	}
	return ^(b | 1<<63)
}

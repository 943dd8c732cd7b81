package metrics

import (
	"math"
	"sync"
)

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
	sc := scratch.Get().(*radixScratch)
	defer scratch.Put(sc)
	if cap(sc.keys) < n {
		sc.keys, sc.tmpKeys, sc.tmpIdx = make([]uint64, n), make([]uint64, n), make([]int32, n)
	}
	keys, tmpKeys, tmpIdx := sc.keys[:n], sc.tmpKeys[:n], sc.tmpIdx[:n]
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

// radixScratch is sortDescending's memory, kept between calls (a report
// sorts once per class, group and slice: without it each sort's 20 bytes a
// row would be garbage).
type radixScratch struct {
	keys, tmpKeys []uint64
	tmpIdx        []int32
}

var scratch = sync.Pool{New: func() any { return new(radixScratch) }}

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

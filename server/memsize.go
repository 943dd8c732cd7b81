package server

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// Estimates of the memory a request's decoding takes, made from what the
// request declares before anything is allocated for it.

// jsonLeafBytes is what tensor.FromJSON allocates per element of a JSON
// array (the generic tree of json.Number values it walks; measured at
// about 111 bytes for small numbers), on top of the tensor itself.
const jsonLeafBytes = 112

// stringHeaderBytes is the size of a string header, the cost of a BYTES
// element besides its bytes.
const stringHeaderBytes = 16

// jsonLeaves counts the scalar values (numbers, strings, true, false,
// null) of a JSON text without decoding it; object keys count as strings.
// It never allocates, so the cost of decoding the text can be known first.
func jsonLeaves(b []byte) int64 {
	var n int64
	expect := true // a value may start at the next significant byte
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case ' ', '\t', '\n', '\r':
		case '[', '{', ',', ':':
			expect = true
		case ']', '}':
			expect = false
		case '"':
			if expect {
				n++
			}
			i = stringEnd(b, i)
			expect = false
		default:
			if expect {
				n++
			}
			expect = false
		}
	}
	return n
}

// stringEnd is the index of the quote closing the string that starts at
// b[start] (len(b) when it is not closed).
func stringEnd(b []byte, start int) int {
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(b)
}

// jsonDecodeBytes estimates the memory decoding a JSON text of size
// bytes with leaves values (jsonLeaves) into a tensor of type dt takes:
// the generic tree, the tensor, and for BYTES the strings.
func jsonDecodeBytes(leaves int64, size int, dt tensor.DType) int64 {
	n := satMul(leaves, jsonLeafBytes+elemBytes(dt))
	if dt == tensor.String {
		n = satAdd(n, int64(size))
	}
	return n
}

// elemBytes is the memory of one element of type dt in a tensor.
func elemBytes(dt tensor.DType) int64 {
	if dt == tensor.String {
		return stringHeaderBytes
	}
	return int64(max(dt.Size(), 1))
}

// tensorBytes is the memory of a tensor of type dt and the given wire
// shape (MaxInt64 when the element count overflows; negative dimensions,
// which decoding refuses, count as zero).
func tensorBytes(dt tensor.DType, shape []int64) int64 {
	n := elemBytes(dt)
	for _, d := range shape {
		n = satMul(n, max(d, 0))
	}
	return n
}

// describeTensor names a tensor in a budget error: `input "x" (FP32
// [4 3])`.
func describeTensor(what, name, datatype string, shape []int64) string {
	return fmt.Sprintf("%s %q (%s %v)", what, name, datatype, shape)
}

// satMul multiplies non-negative numbers, saturating at MaxInt64.
func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// satAdd adds non-negative numbers, saturating at MaxInt64.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

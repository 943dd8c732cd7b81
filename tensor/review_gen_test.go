package tensor

import (
	"math/rand/v2"
	"strings"
	"testing"
)

var reviewNums = []string{"0", "-0", "1", "-1", "0.5", "-0.0", "1e2", "1E-2", "2e+3", "127", "-128", "128", "255", "256",
	"32767", "-32768", "65535", "65536", "2147483647", "-2147483648", "4294967295", "4294967296",
	"9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551615",
	"18446744073709551616", "99999999999999999999", "1e38", "3.4028235e38", "3.4028236e38", "1e39", "1e308", "1e309",
	"4.9e-324", "1e-400", "1e-46", "65504", "65520", "true", "false", "null", `"a"`, `"NaN"`, "01", "1.", ".5", "+1", "-", "1e", "0x1"}

var reviewPool []string

func reviewGen(r *rand.Rand, depth int, dims []int, b *strings.Builder) {
	ws := func() {
		if r.IntN(4) == 0 {
			b.WriteString([]string{" ", "\n", "\t", "\r", "  "}[r.IntN(5)])
		}
	}
	ws()
	if depth >= len(dims) {
		if reviewPool != nil && r.IntN(8) != 0 {
			b.WriteString(reviewPool[r.IntN(len(reviewPool))])
		} else {
			b.WriteString(reviewNums[r.IntN(len(reviewNums))])
		}
		ws()
		return
	}
	n := dims[depth]
	if r.IntN(25) == 0 {
		n += r.IntN(3) - 1 // ragged
	}
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if r.IntN(200) == 0 {
			reviewGen(r, depth+1+r.IntN(2), dims, b) // wrong depth
		} else {
			reviewGen(r, depth+1, dims, b)
		}
	}
	b.WriteByte(']')
	ws()
}

func TestReviewFastFromJSONGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	accepted := 0
	defer func() { t.Logf("accepted %d", accepted) }()
	for iter := 0; iter < 200000; iter++ {
		rank := r.IntN(4)
		dims := make([]int, rank)
		for i := range dims {
			dims[i] = r.IntN(4)
		}
		reviewPool = nil
		if r.IntN(2) == 0 {
			reviewPool = []string{"0", "1", "-1", "7", "-0", "100", "1.5", "true", "false", "1e3", "-2.5e-7", "255", "127", "-128"}
		}
		var b strings.Builder
		reviewGen(r, 0, dims, &b)
		raw := b.String()
		if r.IntN(50) == 0 {
			raw += []string{"x", "]", "}", " 1", ","}[r.IntN(5)]
		}
		dt := DType(1 + r.IntN(int(String)-1))
		checkFastAgrees(t, []byte(raw), dt)
		if _, ok := fastFromJSON([]byte(raw), dt); ok {
			accepted++
		}
	}
}

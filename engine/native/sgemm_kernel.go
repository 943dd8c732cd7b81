package native

// kernel2x4 computes C[0:2, 0:4] += alpha · Apanel · Bpanel over depth kc,
// where a holds kc steps of gemmMR values and b kc steps of gemmNR values.
// Eight accumulators and their products fill the scalar registers the Go
// compiler allocates on amd64 without spilling.
func kernel2x4(kc int, alpha float32, a, b, c []float32, ldc int) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	a = a[:kc*gemmMR]
	b = b[:kc*gemmNR]
	for len(a) >= 2 && len(b) >= 4 {
		aa := (*[2]float32)(a)
		bb := (*[4]float32)(b)
		// Reading A through aa at each use (rather than into locals) keeps
		// the compiler from spilling accumulators.
		c00 += aa[0] * bb[0]
		c01 += aa[0] * bb[1]
		c02 += aa[0] * bb[2]
		c03 += aa[0] * bb[3]
		c10 += aa[1] * bb[0]
		c11 += aa[1] * bb[1]
		c12 += aa[1] * bb[2]
		c13 += aa[1] * bb[3]
		a = a[2:]
		b = b[4:]
	}
	r0 := (*[4]float32)(c[:4])
	r1 := (*[4]float32)(c[ldc : ldc+4])
	if alpha != 1 {
		c00, c01, c02, c03 = alpha*c00, alpha*c01, alpha*c02, alpha*c03
		c10, c11, c12, c13 = alpha*c10, alpha*c11, alpha*c12, alpha*c13
	}
	r0[0] += c00
	r0[1] += c01
	r0[2] += c02
	r0[3] += c03
	r1[0] += c10
	r1[1] += c11
	r1[2] += c12
	r1[3] += c13
}

// kernel1x4 is kernel2x4 for a panel whose second row is padding (m odd):
// it reads only the first row of each A step.
func kernel1x4(kc int, alpha float32, a, b, c []float32) {
	var c0, c1, c2, c3 float32
	a = a[:kc*gemmMR]
	b = b[:kc*gemmNR]
	for len(a) >= 2 && len(b) >= 4 {
		a0 := a[0]
		bb := (*[4]float32)(b)
		c0 += a0 * bb[0]
		c1 += a0 * bb[1]
		c2 += a0 * bb[2]
		c3 += a0 * bb[3]
		a = a[2:]
		b = b[4:]
	}
	r := (*[4]float32)(c[:4])
	r[0] += alpha * c0
	r[1] += alpha * c1
	r[2] += alpha * c2
	r[3] += alpha * c3
}

package native

// sgemv handles sgemm with m == 1 or n == 1 on unpacked operands: a
// matrix-vector product, memory bound, for which packing would cost as much
// as the arithmetic.
func sgemv(m, n, k int, alpha float32, a, b *gemmOperand, beta float32, c []float32, ldc, threads int) {
	g := sgemvBodies.get()
	defer sgemvBodies.put(g)
	*g = sgemvBody{k: k, alpha: alpha, beta: beta, c: c, ldc: ldc}
	if m == 1 {
		// c[0, :] = alpha · x · op(B) + beta · c, x = op(A)[0, :].
		g.mat = *b
		g.vec = vectorOf(k, func(p int) float32 { return a.at(0, p) })
		defer putScratch(g.vec)
		parallelRange(threads, n, 256, g)
		return
	}
	// n == 1: c[:, 0] = alpha · op(A) · y + beta · c, y = op(B)[:, 0].
	g.rows, g.mat = true, *a
	g.vec = vectorOf(k, func(p int) float32 { return b.at(p, 0) })
	defer putScratch(g.vec)
	parallelRange(threads, m, 64, g)
}

// sgemvBody is the state of sgemv's region: the matrix operand, the
// gathered vector, and whether the items are rows of C (n == 1) rather
// than columns (m == 1).
type sgemvBody struct {
	k           int
	alpha, beta float32
	mat         gemmOperand
	vec         *[]float32
	c           []float32
	ldc         int
	rows        bool
}

var sgemvBodies freeList[sgemvBody]

func (g *sgemvBody) do(lo, hi int) {
	k, alpha, beta, mat, x, c := g.k, g.alpha, g.beta, &g.mat, *g.vec, g.c
	if !g.rows {
		row := c[lo:hi]
		scaleRows(row, 0, 0, 1, 0, len(row), beta)
		if mat.trans {
			for j := range row {
				row[j] += alpha * dot(x, mat.data[(lo+j)*mat.ld:(lo+j)*mat.ld+k])
			}
			return
		}
		for p, xv := range x {
			axpy(row, alpha*xv, mat.data[p*mat.ld+lo:p*mat.ld+hi])
		}
		return
	}
	for i := lo; i < hi; i++ {
		var s float32
		if mat.trans {
			for p, yv := range x {
				s += mat.data[p*mat.ld+i] * yv
			}
		} else {
			s = dot(mat.data[i*mat.ld:i*mat.ld+k], x)
		}
		if beta == 0 {
			c[i*g.ldc] = alpha * s
		} else {
			c[i*g.ldc] = alpha*s + beta*c[i*g.ldc]
		}
	}
}

// vectorOf gathers k values into a contiguous scratch vector.
func vectorOf(k int, at func(int) float32) *[]float32 {
	v := getScratch(k)
	for p := range *v {
		(*v)[p] = at(p)
	}
	return v
}

// dot returns the inner product of x and y[:len(x)].
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	for len(x) >= 4 && len(y) >= 4 {
		xx := (*[4]float32)(x)
		yy := (*[4]float32)(y)
		s0 += xx[0] * yy[0]
		s1 += xx[1] * yy[1]
		s2 += xx[2] * yy[2]
		s3 += xx[3] * yy[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		s0 += v * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy computes dst += s·x.
func axpy(dst []float32, s float32, x []float32) {
	x = x[:len(dst)]
	for len(dst) >= 4 && len(x) >= 4 {
		d := (*[4]float32)(dst)
		xx := (*[4]float32)(x)
		d[0] += s * xx[0]
		d[1] += s * xx[1]
		d[2] += s * xx[2]
		d[3] += s * xx[3]
		dst, x = dst[4:], x[4:]
	}
	for i := range dst {
		dst[i] += s * x[i]
	}
}

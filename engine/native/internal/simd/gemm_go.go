package simd

// goGemmKernel is the portable kernel: a 2×4 tile, the largest whose
// eight accumulators fit the scalar registers the Go compiler allocates on
// amd64 (larger tiles spill and run slower).
var goGemmKernel = &GemmKernel{Name: "go2x4", MR: 2, NR: 4, isa: isaGo}

// gemmTileIndirectGo gathers the B panel and runs the packed kernel.
func gemmTileIndirectGo(kc int, a, b []float32, offs []int, c []float32, ldc int, ep *Epilogue) {
	var buf [1024]float32
	panel := buf[:0]
	if kc <= 256 {
		panel = buf[:kc*4]
	} else {
		panel = make([]float32, kc*4)
	}
	for p, o := range offs {
		copy(panel[p*4:p*4+4], b[o:o+4])
	}
	gemmTileGo(kc, a, panel, c, ldc, ep)
}

func gemmTileGo(kc int, a, b, c []float32, ldc int, ep *Epilogue) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	a = a[:kc*2]
	b = b[:kc*4]
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
	t := [2][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}}
	epilogueGo(t[0][:], c[:4], 0, ep)
	epilogueGo(t[1][:], c[ldc:ldc+4], 1, ep)
}

// epilogueGo applies ep to row r of a tile, p, and stores it into c.
func epilogueGo(p, c []float32, r int, ep *Epilogue) {
	c = c[:len(p)]
	f := ep.Flags
	for j := range p {
		v := p[j]
		if f&Scale != 0 {
			v *= ep.Alpha
		}
		if f&Accumulate != 0 {
			v += c[j]
		}
		if f&RowBias != 0 {
			v += ep.Bias[r]
		}
		if f&ColBias != 0 {
			v += ep.Bias[j]
		}
		if f&Clamp != 0 {
			if v < ep.Lo {
				v = ep.Lo
			}
			if v > ep.Hi {
				v = ep.Hi
			}
		}
		c[j] = v
	}
}

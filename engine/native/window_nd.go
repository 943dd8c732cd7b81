package native

// Sliding windows over any number of spatial dimensions, for the Conv and
// pooling inputs the 2-D kernels do not cover (3-D and beyond) and for
// pooling integer types. They run directly over the geometry: for each
// output position the input offsets of the kernel taps that fall inside
// the input are computed once and shared by every channel.

// tapOffsets fills offs with the flat input offsets of the kernel taps of
// output position oidx that fall inside the input (-1 for the others) and
// returns the number inside.
func tapOffsets(g *geometry, oidx, kidx, offs []int) int {
	r := len(g.in)
	for i := range kidx {
		kidx[i] = 0
	}
	inside := 0
	for t := range offs {
		off, ok := 0, true
		for d := range r {
			p := oidx[d]*g.stride[d] - g.padBegin[d] + kidx[d]*g.dilation[d]
			if p < 0 || p >= g.in[d] {
				ok = false
				break
			}
			off = off*g.in[d] + p
		}
		if ok {
			offs[t] = off
			inside++
		} else {
			offs[t] = -1
		}
		for d := r - 1; d >= 0; d-- {
			kidx[d]++
			if kidx[d] < g.kernel[d] {
				break
			}
			kidx[d] = 0
		}
	}
	return inside
}

// nextIndex advances a row-major multi-index within shape.
func nextIndex(idx, shape []int) {
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < shape[d] {
			return
		}
		idx[d] = 0
	}
}

// convND computes a grouped convolution over any spatial rank.
func convND(rc *runCtx, g *geometry, batch, c, m, group int, x, w, bias, y []float32) {
	inSize, outSize, kSize := prod(g.in), prod(g.out), prod(g.kernel)
	cg, mg := c/group, m/group
	parallelFor(rc.threads, batch*m, 1, func(lo, hi int) {
		oidx := make([]int, len(g.out))
		kidx := make([]int, len(g.kernel))
		offs := make([]int, kSize)
		for t := lo; t < hi; t++ {
			n, oc := t/m, t%m
			grp := oc / mg
			yp := y[t*outSize : (t+1)*outSize]
			clear(oidx)
			for o := range yp {
				tapOffsets(g, oidx, kidx, offs)
				var sum float64
				if bias != nil {
					sum = float64(bias[oc])
				}
				for ci := range cg {
					xp := x[(n*c+grp*cg+ci)*inSize:]
					wp := w[(oc*cg+ci)*kSize:]
					for k, off := range offs {
						if off >= 0 {
							sum += float64(xp[off]) * float64(wp[k])
						}
					}
				}
				yp[o] = float32(sum)
				nextIndex(oidx, g.out)
			}
		}
	})
}

// poolND pools every plane over any spatial rank, in float64. idx, when
// not nil, receives MaxPool's argmax as a flat index into the input.
func poolND(rc *runCtx, g *geometry, planes int, x, y []float64, idx []int64, isMax, countPad bool) {
	inSize, outSize, kSize := prod(g.in), prod(g.out), prod(g.kernel)
	parallelFor(rc.threads, planes, 1, func(lo, hi int) {
		oidx := make([]int, len(g.out))
		kidx := make([]int, len(g.kernel))
		offs := make([]int, kSize)
		for p := lo; p < hi; p++ {
			xp := x[p*inSize : (p+1)*inSize]
			clear(oidx)
			for o := range outSize {
				inside := tapOffsets(g, oidx, kidx, offs)
				out := p*outSize + o
				if isMax {
					best, arg := 0.0, -1
					for _, off := range offs {
						if off >= 0 && (arg < 0 || xp[off] > best) {
							best, arg = xp[off], off
						}
					}
					y[out] = best
					if idx != nil {
						idx[out] = int64(p*inSize + arg)
					}
				} else {
					var sum float64
					for _, off := range offs {
						if off >= 0 {
							sum += xp[off]
						}
					}
					count := inside
					if countPad {
						count = 1
						for d := range g.in {
							start := oidx[d]*g.stride[d] - g.padBegin[d]
							count *= min(start+(g.kernel[d]-1)*g.dilation[d]+1, g.in[d]+g.padEnd[d]) - start
						}
					}
					if count > 0 {
						y[out] = sum / float64(count)
					} else {
						y[out] = 0
					}
				}
				nextIndex(oidx, g.out)
			}
		}
	})
}

func prod(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

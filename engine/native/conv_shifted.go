package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// Shifted planes: the layout of the segmented product (conv_segments.go)
// for stride-1 convolutions, without its garbage columns. Each input
// channel is laid out kw times, copy j shifted left by j·dw−pl columns
// (zeros where that reads past the row), in rows ow wide, with the
// kh−1 padding rows above and below: tap (i, j) of output (y, x) is then
// copy j at row y+i·dh, column x. The outputs of an image are one
// contiguous run, so a column tile is nr consecutive values of it, read
// by the indirect kernel with two full loads per depth step, where the
// segmented kernel splits each of its vectors between two rows (a 256-bit
// load and an insert each): on the digits CNN's second layer
// (BenchmarkTileSegmentsConv) the tiles run 25% faster. The price is kw
// copies of the input instead of one.

// useShifted reports whether a segmented convolution over l runs on
// shifted planes: strides of 1 (the copies are not split into phases).
func useShifted(l *tapLayout) bool { return l.sh == 1 && l.sw == 1 }

// shiftRows is the rows of an image's shifted plane: its output rows and
// the rows the taps reach below them.
func (l *tapLayout) shiftRows() int { return l.oh + (l.kh-1)*l.dh }

// shiftPlane is the floats of one image's shifted plane.
func (l *tapLayout) shiftPlane() int { return l.shiftRows() * l.ow }

// planShifted sets cp's strides and offsets for shifted planes of cg
// channels per group: per channel kw copies, each of chunk images and
// a tail of nr for the reads of a last partial tile.
func (cp *convPlan) planShifted(p *convProblem) {
	l := cp.l
	cg := p.c / p.group
	cp.shifted = true
	cp.chunk = max(1, min(p.batch, planesTarget/max(1, p.c*l.kw*l.shiftPlane())))
	cp.phaseStride = cp.chunk*l.shiftPlane() + cp.gemm.nr
	cp.chStride = l.kw * cp.phaseStride
	offs := make([]int, 0, cg*l.kh*l.kw)
	for ch := range cg {
		for i := range l.kh {
			for j := range l.kw {
				offs = append(offs, ch*cp.chStride+j*cp.phaseStride+i*l.dh*l.ow)
			}
		}
	}
	cp.table = simd.NewOffsets(offs)
}

// buildShifted lays out the images of items [lo, hi) (image-major, the
// channels of an image in one copy per shift) in the shifted planes, over
// planes cleared to zero.
func (b *implicitBody) buildShifted(lo, hi int) {
	p, cp, l := &b.p, b.cp, b.cp.l
	inPlane, plane := l.h*l.w, l.shiftPlane()
	// Rows yy of the plane read input row yy−pt.
	ylo, yhi := max(0, l.pt), min(l.shiftRows(), l.pt+l.h)
	for t := lo; t < hi; {
		img, ch := t/p.c, t%p.c
		n := min(p.c-ch, hi-t)
		for j := range l.kw {
			// Columns x read input column x + j·dw − pl.
			shift := j*l.dw - l.pl
			xlo, xhi := max(0, -shift), min(l.ow, l.w-shift)
			if ylo >= yhi || xlo >= xhi {
				continue
			}
			cp.taps.Copy3D(b.planes[ch*cp.chStride+j*cp.phaseStride+img*plane+ylo*l.ow+xlo:], l.ow, cp.chStride,
				p.x[((b.n0+img)*p.c+ch)*inPlane+(ylo-l.pt)*l.w+xlo+shift:], l.w, inPlane, n, yhi-ylo, xhi-xlo)
		}
		t += n
	}
}

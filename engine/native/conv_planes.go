package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// tapLayout lays out a padded input plane so that every tap of a strided,
// dilated 2-D window becomes a constant offset, and all outputs a
// contiguous run: the plane is split into its stride phases (phase (qi, qj)
// holds padded element (y·sh+qi, x·sw+qj) at row y, column x), each phase
// an hq×wq plane. Output (oy, ox) is then element n = oy·wq + ox of the
// output run, and tap (i, j) reads it at n + tapOffset(i, j) in the phase
// the tap falls in. Columns ox ≥ ow and rows oy ≥ oh of the run are
// garbage, which the callers drop. Only the phases some tap reads are
// stored.
//
// Planes of consecutive images (or channels) may follow each other, so
// that one run covers several. Along an axis of stride 1 they then share
// their padding: a row is w + max(pad begin, pad end) long, the taps
// reading past its end landing in the next row's leading padding (and the
// same for the rows of a plane), which wastes less on garbage; the last
// plane is followed by tail() padding values.
type tapLayout struct {
	h, w, oh, ow   int
	kh, kw, sh, sw int
	dh, dw, pt, pl int
	pb, pr         int
	hq, wq         int
	phase          []int // phase index by qi·sw+qj, -1 when unused
	phases         int
}

// newTapLayout returns the layout for a window geometry, or nil when it
// has negative pads.
func newTapLayout(g *geometry) *tapLayout {
	l := &tapLayout{
		h: g.in[0], w: g.in[1], oh: g.out[0], ow: g.out[1],
		kh: g.kernel[0], kw: g.kernel[1], sh: g.stride[0], sw: g.stride[1],
		dh: g.dilation[0], dw: g.dilation[1], pt: g.padBegin[0], pl: g.padBegin[1],
		pb: g.padEnd[0], pr: g.padEnd[1],
	}
	if l.pt < 0 || l.pl < 0 || l.pb < 0 || l.pr < 0 {
		return nil
	}
	l.hq = l.oh + (l.kh-1)*l.dh/l.sh
	if l.sh == 1 {
		l.hq = min(l.hq, l.h+max(l.pt, l.pb))
	}
	l.wq = l.ow + (l.kw-1)*l.dw/l.sw
	if l.sw == 1 {
		l.wq = min(l.wq, l.w+max(l.pl, l.pr))
	}
	l.phase = make([]int, l.sh*l.sw)
	for i := range l.phase {
		l.phase[i] = -1
	}
	for i := range l.kh {
		for j := range l.kw {
			q := (i*l.dh%l.sh)*l.sw + j*l.dw%l.sw
			if l.phase[q] < 0 {
				l.phase[q] = l.phases
				l.phases++
			}
		}
	}
	return l
}

// tail is the number of padding values that follow the last plane of a
// run of planes, for the taps reading past it.
func (l *tapLayout) tail() int {
	rows := 1
	if l.sh == 1 {
		rows += min(l.pt, l.pb)
	}
	return rows * l.wq
}

// prefill writes pad at every position of the first n planes (and the
// tail) of each used phase (phase q starting at dst[q·phaseStride:]) that
// build leaves alone: the padding around the input values. Planes are then
// built over it: build only writes the input values, at the same places
// for every plane, so a buffer is prefilled once for all the planes built
// in it. The values past the tail are left as they are: only garbage
// outputs read them.
func (l *tapLayout) prefill(dst []float32, n, phaseStride int, pad float32) {
	if pad == 0 && l.wq <= prefillClearWidth {
		// Short rows: one clear per phase costs less than a fill per row.
		for q := range l.phases {
			clear(dst[q*phaseStride : q*phaseStride+n*l.plane()+l.tail()])
		}
		return
	}
	for qi := range l.sh {
		ylo, yhi := validRange(l.hq, l.h, l.sh, l.pt-qi)
		for qj := range l.sw {
			q := l.phase[qi*l.sw+qj]
			if q < 0 {
				continue
			}
			lo, hi := validRange(l.wq, l.w, l.sw, l.pl-qj)
			base := dst[q*phaseStride:]
			for img := range n {
				out := base[img*l.plane() : (img+1)*l.plane()]
				if ylo >= yhi || lo >= hi {
					fill(out, pad)
					continue
				}
				fill(out[:ylo*l.wq+lo], pad)
				for y := ylo; y < yhi-1; y++ {
					fill(out[y*l.wq+hi:(y+1)*l.wq+lo], pad)
				}
				fill(out[(yhi-1)*l.wq+hi:], pad)
			}
			fill(base[n*l.plane():n*l.plane()+l.tail()], pad)
		}
	}
}

// prefillClearWidth is the widest phase row for which prefill clears whole
// planes rather than their padding: below it, the calls filling the few
// padding values of each row cost more than clearing the values build
// then writes (yolo_detector's 4×4 to 34×34 planes).
const prefillClearWidth = 40

// plane is the size of one phase plane.
func (l *tapLayout) plane() int { return l.hq * l.wq }

// run is the length of the output run of one plane: its oh rows.
func (l *tapLayout) run() int { return l.oh * l.wq }

// reach is how far past the start of an output run the taps read: the
// largest tap offset within a phase.
func (l *tapLayout) reach() int { return (l.kh-1)*l.dh/l.sh*l.wq + (l.kw-1)*l.dw/l.sw }

// tapOffsets writes, for each tap (i, j) in row-major order, its offset
// when phase q of the plane starts at q·phaseStride.
func (l *tapLayout) tapOffsets(dst []int, phaseStride int) {
	for i := range l.kh {
		for j := range l.kw {
			q := l.phase[(i*l.dh%l.sh)*l.sw+j*l.dw%l.sw]
			dst[i*l.kw+j] = q*phaseStride + i*l.dh/l.sh*l.wq + j*l.dw/l.sw
		}
	}
}

// build writes the input values of plane x (h×w) into its place in the
// used phases (phase q at dst[q·phaseStride:], each hq×wq), over a buffer
// prefilled with the padding. scratch must hold at least w+1 values (for
// the SIMD split of rows when the column stride is 2).
func (l *tapLayout) build(dst, x []float32, phaseStride int, tk *simd.TapKernel, scratch []float32) {
	if l.sw == 2 && l.w >= 32 {
		l.buildStride2(dst, x, phaseStride, tk, scratch)
		return
	}
	for qi := range l.sh {
		// Rows y with 0 <= y·sh + qi - pt < h.
		ylo, yhi := validRange(l.hq, l.h, l.sh, l.pt-qi)
		if ylo >= yhi {
			continue
		}
		for qj := range l.sw {
			q := l.phase[qi*l.sw+qj]
			if q < 0 {
				continue
			}
			out := dst[q*phaseStride : q*phaseStride+l.plane()]
			// Columns x with 0 <= x·sw + qj - pl < w.
			lo, hi := validRange(l.wq, l.w, l.sw, l.pl-qj)
			if lo >= hi {
				continue
			}
			iy0, ix0 := ylo*l.sh+qi-l.pt, lo*l.sw+qj-l.pl
			if l.sw == 1 {
				tk.Copy2D(out[ylo*l.wq+lo:], l.wq, x[iy0*l.w+ix0:], l.w*l.sh, yhi-ylo, hi-lo)
				continue
			}
			for y := ylo; y < yhi; y++ {
				row := out[y*l.wq+lo : y*l.wq+hi]
				src := x[(iy0+(y-ylo)*l.sh)*l.w:]
				for o := range row {
					row[o] = src[ix0+o*l.sw]
				}
			}
		}
	}
}

// planeRect is where build copies the input values of a plane whose
// layout has a single phase: rows×cols values from src in the input plane
// to dst in the phase plane.
type planeRect struct{ dst, src, rows, cols int }

// unitRect returns the rectangle build copies when both strides are 1 (a
// single phase), so that callers can copy many planes at once; ok is false
// for other strides or when no input value is read.
func (l *tapLayout) unitRect() (r planeRect, ok bool) {
	if l.sh != 1 || l.sw != 1 {
		return r, false
	}
	ylo, yhi := validRange(l.hq, l.h, 1, l.pt)
	lo, hi := validRange(l.wq, l.w, 1, l.pl)
	if ylo >= yhi || lo >= hi {
		return r, false
	}
	return planeRect{dst: ylo*l.wq + lo, src: (ylo-l.pt)*l.w + lo - l.pl, rows: yhi - ylo, cols: hi - lo}, true
}

// buildStride2 is build for a column stride of 2: it splits each input
// row into its even and odd elements with the SIMD kernel, straight into
// the rows of the two column phases when their runs line up (they do for
// the usual pads), else through scratch.
func (l *tapLayout) buildStride2(dst, x []float32, phaseStride int, tk *simd.TapKernel, scratch []float32) {
	runs, ej, oj, aligned := l.stride2Runs()
	e, o := runs[ej], runs[oj]
	for qi := range l.sh {
		qe, qo := l.phase[qi*2+ej], l.phase[qi*2+oj]
		if qe < 0 && qo < 0 {
			continue
		}
		ylo, yhi := validRange(l.hq, l.h, l.sh, l.pt-qi)
		if ylo >= yhi {
			continue
		}
		if aligned && qe >= 0 && qo >= 0 {
			// Every row of both phases in one call.
			tk.Deinterleave2D(dst[qe*phaseStride+ylo*l.wq+e.lo:], l.wq, dst[qo*phaseStride+ylo*l.wq+o.lo:], l.wq,
				x[(ylo*l.sh+qi-l.pt)*l.w+2*e.start:], l.sh*l.w, yhi-ylo, e.hi-e.lo)
			continue
		}
		l.stride2Rows(dst, x, phaseStride, tk, scratch, &runs, qi, ylo, yhi)
	}
}

// stride2Run is where a column phase qj reads the input: its valid
// columns [lo, hi) read the input columns lo·2 + qj - pl, ..., of one
// parity, from index start of that half.
type stride2Run struct{ lo, hi, parity, start int }

// stride2Runs returns the runs of the two column phases, which of them
// reads the even elements (ej) and which the odd (oj), and whether their
// runs line up, so that one deinterleave writes both phases' rows.
func (l *tapLayout) stride2Runs() (runs [2]stride2Run, ej, oj int, aligned bool) {
	for qj := range 2 {
		lo, hi := validRange(l.wq, l.w, 2, l.pl-qj)
		c := lo*2 + qj - l.pl
		runs[qj] = stride2Run{lo: lo, hi: hi, parity: c & 1, start: c >> 1}
	}
	ej, oj = 0, 1
	if runs[0].parity == 1 {
		ej, oj = 1, 0
	}
	e, o := runs[ej], runs[oj]
	aligned = e.parity == 0 && o.parity == 1 && e.lo < e.hi && e.start == o.start && e.hi-e.lo == o.hi-o.lo
	return runs, ej, oj, aligned
}

// stride2Rows lays out rows [ylo, yhi) of row phase qi one at a time:
// each input row split into its even and odd elements in scratch, then
// each column phase's run copied into its row.
func (l *tapLayout) stride2Rows(dst, x []float32, phaseStride int, tk *simd.TapKernel, scratch []float32, runs *[2]stride2Run, qi, ylo, yhi int) {
	half := (l.w + 1) / 2
	for y := ylo; y < yhi; y++ {
		src := x[(y*l.sh+qi-l.pt)*l.w:][:l.w]
		ev, od := scratch[:half], scratch[half:2*half]
		tk.Deinterleave2(ev[:l.w/2], od[:l.w/2], src)
		if l.w%2 == 1 {
			ev[half-1] = src[l.w-1]
		}
		for qj, r := range runs {
			q := l.phase[qi*2+qj]
			if q < 0 || r.lo >= r.hi {
				continue
			}
			row := dst[q*phaseStride+y*l.wq+r.lo : q*phaseStride+y*l.wq+r.hi]
			if r.parity == 0 {
				copy(row, ev[r.start:])
			} else {
				copy(row, od[r.start:])
			}
		}
	}
}

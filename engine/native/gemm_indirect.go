package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// indirectRowsFirst bounds the floats of B (depth × columns, 512 KB) for
// which regionIndirect runs the tiles row tile by row tile rather than
// column tile by column tile: when B stays in the L2 cache, C is then
// written as mr streams, one after the other, instead of m streams at
// once (the expanding 1×1 convolutions of MobileNetV2 at 14×14 and 56×56
// write 64–144 rows). B is then read from L2 once per row tile instead
// of once per column tile from L1.
const indirectRowsFirst = 1 << 17

// regionIndirect computes C = op(A)·B (+ C when accumulate) for the m×cols
// product with the packed A and B read in place through the offset table
// (row p of B at b[o[p]:]), applying the epilogue. When padded, B and C
// (leading dimension ldc, a multiple of nr) have room for the last column
// tile to be computed whole; otherwise that tile's B panel is gathered and
// its C goes through a tile on the stack. A last column tile of at most
// nr/2 columns runs on the narrow kernel when there is one.
func (impl *gemmImpl) regionIndirect(m, k int, a *gemmOperand, b []float32, o *simd.Offsets, cols int, c []float32, ldc int, accumulate, padded bool, ep *gemmEpilogue) {
	impl.rowsIndirect(0, m, m, k, a, b, o, cols, c, ldc, accumulate, padded, ep)
}

// rowsIndirect is regionIndirect restricted to the rows [m0, m1) of the
// m×cols product (m0 a multiple of mr, m1 one or m): it reads only their
// panels of A and writes only their rows of C, so that threads can share
// a product over few columns by its rows.
func (impl *gemmImpl) rowsIndirect(m0, m1, m, k int, a *gemmOperand, b []float32, o *simd.Offsets, cols int, c []float32, ldc int, accumulate, padded bool, ep *gemmEpilogue) {
	mr, nr := impl.mr, impl.nr
	t := indirectTiles{impl: impl, m: m1, b: b, o: o, cols: cols, c: c, ldc: ldc, padded: padded, ep: ep}
	var edge *[]float32
	if !padded && cols%nr != 0 {
		edge = getScratch(impl.kc * nr)
		defer putScratch(edge)
	}
	tiles := (cols + nr - 1) / nr
	rowsFirst := k*cols <= indirectRowsFirst
	for pc := 0; pc < k; pc += impl.kc {
		t.pc, t.kcb = pc, min(impl.kc, k-pc)
		t.sep = ep.simdEpilogue(1, pc > 0 || accumulate, pc+t.kcb >= k)
		t.ap = a.packed[pc*roundUp(m, mr):]
		t.panel = nil
		if edge != nil {
			jr := (tiles - 1) * nr
			kern := t.kernel(cols - jr)
			t.panel = gatherPanel((*edge)[:t.kcb*kern.NR], kern.NR, b, o, pc, jr, cols-jr)
		}
		if rowsFirst {
			for ir := m0; ir < m1; ir += mr {
				for jr := 0; jr < cols; jr += nr {
					t.tile(ir, jr)
				}
			}
			continue
		}
		for jr := 0; jr < cols; jr += nr {
			for ir := m0; ir < m1; ir += mr {
				t.tile(ir, jr)
			}
		}
	}
	if ep != nil && ep.post != nil {
		for i := m0; i < m1; i++ {
			row := c[i*ldc : i*ldc+cols]
			ep.post(row, row)
		}
	}
}

// indirectTiles is regionIndirect's product and its depth block in
// progress: from step pc, kcb deep, with A's packed block ap, the edge
// tile's gathered B panel (or nil) and the tiles' epilogue.
type indirectTiles struct {
	impl        *gemmImpl
	m           int
	b           []float32
	o           *simd.Offsets
	cols        int
	c           []float32
	ldc         int
	padded      bool
	ep          *gemmEpilogue
	pc, kcb     int
	ap, panel   []float32
	sep         simd.Epilogue
	tbuf, biasb [maxTile]float32
}

// kernel returns the kernel for a column tile of width real columns.
func (t *indirectTiles) kernel(width int) *simd.GemmKernel {
	if k := t.impl.kern; width > t.impl.nr/2 || k.Narrow == nil {
		return k
	}
	return t.impl.kern.Narrow
}

// tile computes the tile at row ir and column jr.
func (t *indirectTiles) tile(ir, jr int) {
	mr := t.impl.mr
	kern := t.kernel(t.cols - jr)
	width := min(kern.NR, t.cols-jr)
	var panel []float32
	switch {
	case t.padded:
		width = kern.NR
	case width < kern.NR:
		panel = t.panel
	}
	rows := min(mr, t.m-ir)
	apanel := t.ap[ir*t.kcb : (ir+mr)*t.kcb]
	sep := t.sep
	if sep.Flags&simd.RowBias != 0 {
		sep.Bias = t.ep.rowBias[ir:]
		if rows < mr {
			clear(t.biasb[:mr])
			copy(t.biasb[:rows], t.ep.rowBias[ir:])
			sep.Bias = t.biasb[:mr]
		}
	}
	c := t.c[ir*t.ldc+jr:]
	if rows == mr && width == kern.NR {
		kern.TileIndirect(t.kcb, apanel, t.b[jr:], t.o, t.pc, c, t.ldc, &sep)
		return
	}
	tb := t.tbuf[:mr*kern.NR]
	if sep.Flags&simd.Accumulate != 0 {
		copyRows(tb, kern.NR, c, t.ldc, rows, width)
	}
	if panel != nil {
		kern.Tile(t.kcb, apanel, panel, tb, kern.NR, &sep)
	} else {
		kern.TileIndirect(t.kcb, apanel, t.b[jr:], t.o, t.pc, tb, kern.NR, &sep)
	}
	copyRows(c, t.ldc, tb, kern.NR, rows, width)
}

// gatherPanel copies the B panel of width columns at column jr (depth
// steps pc on, B's rows through o) into panel, nr wide with zeros after
// the columns, and returns it.
func gatherPanel(panel []float32, nr int, b []float32, o *simd.Offsets, pc, jr, width int) []float32 {
	for q := range len(panel) / nr {
		row := panel[q*nr : (q+1)*nr]
		at := o.At(pc+q) + jr
		copy(row, b[at:at+width])
		clear(row[width:])
	}
	return panel
}

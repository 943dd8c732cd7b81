package simd

import "fmt"

// Epilogue flags. The values are those of the generator (gen/gemm.go).
const (
	// Accumulate adds the tile to C instead of overwriting it.
	Accumulate = 1 << iota
	// Scale multiplies the product by Alpha (before C is added).
	Scale
	// RowBias adds Bias[r] to row r of the tile.
	RowBias
	// ColBias adds Bias[j] to column j of the tile.
	ColBias
	// Clamp bounds the result to [Lo, Hi]; NaN stays NaN.
	Clamp
	// Prefetch makes TileIndirect prefetch the next column tile of B
	// (the kernels' flags do not have it: it selects the kernel).
	Prefetch
)

// Epilogue says what a GEMM tile does with its product P before storing
// it: P = min(max(Alpha·P + C + Bias, Lo), Hi), each term by its flag.
type Epilogue struct {
	Flags  int
	Alpha  float32
	Bias   []float32
	Lo, Hi float32
}

// GemmKernel is a register-blocked GEMM micro-kernel computing an MR×NR
// tile of C.
type GemmKernel struct {
	Name   string
	MR, NR int
	// Narrow, when not nil, computes MR×NR/2 tiles from the same packed A
	// panels (its B panels are NR/2 wide): for a last column tile with at
	// most NR/2 real columns, at half the cost.
	Narrow *GemmKernel
	// One, when not nil, computes only the first row of an MR×NR tile
	// from the same packed A panels (Tile only; it leaves the other rows
	// of C alone): for a product of one row, such as a fully connected
	// layer at batch 1, at a fraction of the cost.
	One *GemmKernel
	// Trans, when not nil, computes MR×NR tiles with A read in place and
	// the tile stored transposed (TileTrans).
	Trans *GemmKernel
	// narrow and one mark a Narrow and a One kernel for the dispatchers,
	// trans a Trans kernel.
	narrow, one, trans bool
	// isa selects the implementation. The methods call it through a
	// switch rather than a function value, which would make every
	// argument escape to the heap.
	isa isa
}

// isa is an instruction set a kernel is written for.
type isa int

const (
	isaGo isa = iota
	isaAVX2
	isaAVX512
)

// Offsets is a table of row offsets into an unpacked B operand for
// TileIndirect, with its range computed once.
type Offsets struct {
	offs     []int
	min, max int
}

// NewOffsets returns the table of offs (which it keeps).
func NewOffsets(offs []int) *Offsets {
	o := &Offsets{offs: offs}
	for i, v := range offs {
		if i == 0 || v < o.min {
			o.min = v
		}
		if i == 0 || v > o.max {
			o.max = v
		}
	}
	return o
}

// Len is the number of offsets.
func (o *Offsets) Len() int { return len(o.offs) }

// At returns offset p.
func (o *Offsets) At(p int) int { return o.offs[p] }

// TileIndirect is Tile with B read in place rather than packed: depth
// step p reads the NR values at b[o[p0+p]:]. It panics unless every offset
// of the table leaves NR values in b.
func (k *GemmKernel) TileIndirect(kc int, a, b []float32, o *Offsets, p0 int, c []float32, ldc int, ep *Epilogue) {
	if k.one {
		panic("simd: " + k.Name + " has no indirect form")
	}
	if kc < 0 || p0 < 0 || p0+kc > len(o.offs) || len(a) < kc*k.MR || ldc < k.NR || len(c) < (k.MR-1)*ldc+k.NR ||
		kc > 0 && (o.min < 0 || o.max+k.NR > len(b)) {
		panic(fmt.Sprintf("simd: %s indirect tile: kc=%d, offsets %d..%d of %d, len(a)=%d, len(b)=%d, len(c)=%d, ldc=%d",
			k.Name, kc, p0, p0+kc, len(o.offs), len(a), len(b), len(c), ldc))
	}
	if k.biasShort(ep) {
		panic(fmt.Sprintf("simd: %s tile: %d bias values", k.Name, len(ep.Bias)))
	}
	offs := o.offs[p0 : p0+kc]
	if k.isa == isaGo {
		gemmTileIndirectGo(kc, a, b, offs, c, ldc, ep)
		return
	}
	tileIndirectAsm(k.isa, k.narrow, kc, a, b, offs, c, ldc, ep)
}

// TileTrans computes the product of A, read in place (depth step p reads
// the MR values at a[o[p0+p]:]), and a packed B panel (kc steps of NR
// values), and stores it transposed after the epilogue: element (r, j) of
// the tile at c[j·ldc+r], for r < MR and j < NR. Accumulate adds C read
// the same way, and ColBias adds Bias[j] to column j; RowBias is not
// supported. It is the kernel of a product whose rows are positions of
// planes and whose columns are channels (1×1 convolutions on small
// planes, computed as Yᵀ = Xᵀ·Wᵀ), written straight into the planes. It
// panics when k is not a Trans kernel or a slice is too short.
func (k *GemmKernel) TileTrans(kc int, a []float32, o *Offsets, p0 int, b, c []float32, ldc int, ep *Epilogue) {
	if !k.trans || ep.Flags&RowBias != 0 {
		panic("simd: " + k.Name + " has no transposed form with these flags")
	}
	if kc < 0 || p0 < 0 || p0+kc > len(o.offs) || len(b) < kc*k.NR || ldc < k.MR || len(c) < (k.NR-1)*ldc+k.MR ||
		kc > 0 && (o.min < 0 || o.max+k.MR > len(a)) {
		panic(fmt.Sprintf("simd: %s transposed tile: kc=%d, offsets %d..%d of %d, len(a)=%d, len(b)=%d, len(c)=%d, ldc=%d",
			k.Name, kc, p0, p0+kc, len(o.offs), len(a), len(b), len(c), ldc))
	}
	if k.biasShort(ep) {
		panic(fmt.Sprintf("simd: %s tile: %d bias values", k.Name, len(ep.Bias)))
	}
	tileTransAsm(kc, a, o.offs[p0:p0+kc], b, c, ldc, ep)
}

// biasShort reports whether ep's flags ask for more bias values than it
// has: MR for RowBias, NR for ColBias.
func (k *GemmKernel) biasShort(ep *Epilogue) bool {
	return ep.Flags&RowBias != 0 && len(ep.Bias) < k.MR || ep.Flags&ColBias != 0 && len(ep.Bias) < k.NR
}

// Tile computes the product of a packed A panel (kc steps of MR values) and
// a packed B panel (kc steps of NR values) and stores it, after the
// epilogue, into the MR×NR tile at the start of c (row stride ldc). Bias
// holds MR values for RowBias, NR for ColBias. It panics when a slice is
// too short.
func (k *GemmKernel) Tile(kc int, a, b, c []float32, ldc int, ep *Epilogue) {
	rows := k.MR
	if k.one {
		rows = 1
	}
	if kc < 0 || len(a) < kc*k.MR || len(b) < kc*k.NR || ldc < k.NR || len(c) < (rows-1)*ldc+k.NR {
		panic(fmt.Sprintf("simd: %s tile: kc=%d, len(a)=%d, len(b)=%d, len(c)=%d, ldc=%d", k.Name, kc, len(a), len(b), len(c), ldc))
	}
	if k.biasShort(ep) {
		panic(fmt.Sprintf("simd: %s tile: %d bias values", k.Name, len(ep.Bias)))
	}
	if k.isa == isaGo {
		gemmTileGo(kc, a, b, c, ldc, ep)
		return
	}
	if k.one {
		tileOneAsm(kc, a, b, c, ep)
		return
	}
	tileAsm(k.isa, k.narrow, kc, a, b, c, ldc, ep)
}

// TileMasked is Tile without an epilogue that stores only the first rows
// rows of the tile, each only in its first cols columns, and leaves the
// rest of c alone: a partial tile written in place. It panics unless
// 1 <= rows <= MR and 1 <= cols <= NR, when a slice is too short, or for a
// One or Trans kernel.
func (k *GemmKernel) TileMasked(kc int, a, b, c []float32, ldc, rows, cols int) {
	if k.one || k.trans || rows < 1 || rows > k.MR || cols < 1 || cols > k.NR || kc < 0 || len(a) < kc*k.MR ||
		len(b) < kc*k.NR || ldc < cols || len(c) < (rows-1)*ldc+cols {
		panic(fmt.Sprintf("simd: %s masked tile: kc=%d, %dx%d, len(a)=%d, len(b)=%d, len(c)=%d, ldc=%d",
			k.Name, kc, rows, cols, len(a), len(b), len(c), ldc))
	}
	if k.isa == isaAVX512 {
		tileMaskedAsm(k.narrow, kc, a, b, c, ldc, rows, 1<<cols-1)
		return
	}
	var tile [maxTile]float32
	k.Tile(kc, a, b, tile[:], k.NR, &Epilogue{})
	for r := range rows {
		copy(c[r*ldc:r*ldc+cols], tile[r*k.NR:])
	}
}

// HasStridedB reports whether the kernel has TileMaskedStrided.
func (k *GemmKernel) HasStridedB() bool { return k.isa == isaAVX512 && !k.one && !k.trans }

// TileMaskedStrided is TileMasked with B read in place: depth step p reads
// the first cols values of b[p·ldb:], and no others. It panics unless the
// kernel HasStridedB, under TileMasked's conditions, or when b is too
// short.
func (k *GemmKernel) TileMaskedStrided(kc int, a, b []float32, ldb int, c []float32, ldc, rows, cols int) {
	if !k.HasStridedB() || rows < 1 || rows > k.MR || cols < 1 || cols > k.NR || kc < 0 || len(a) < kc*k.MR ||
		kc > 0 && (ldb < 0 || len(b) < (kc-1)*ldb+cols) || ldc < cols || len(c) < (rows-1)*ldc+cols {
		panic(fmt.Sprintf("simd: %s masked strided tile: kc=%d, %dx%d, len(a)=%d, len(b)=%d, ldb=%d, len(c)=%d, ldc=%d",
			k.Name, kc, rows, cols, len(a), len(b), ldb, len(c), ldc))
	}
	tileMaskedStridedAsm(k.narrow, kc, a, b, ldb, c, ldc, rows, 1<<cols-1)
}

// maxTile bounds MR×NR over the kernels.
const maxTile = 8 * 32

func (k *GemmKernel) String() string { return k.Name }

// GemmKernels returns the GEMM kernels this CPU runs, fastest first; the
// last is the portable Go kernel. The slice is shared: do not modify it.
func GemmKernels() []*GemmKernel { return gemmKernels }

var gemmKernels = append(append([]*GemmKernel(nil), asmGemmKernels...), goGemmKernel)

// BestGemmKernel is the first of GemmKernels.
func BestGemmKernel() *GemmKernel { return GemmKernels()[0] }

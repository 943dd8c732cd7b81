package simd

import "fmt"

// Copy3D is Copy2D over planes planes: plane p copies rows rows of cols
// values from src[p·lsp:] (row stride lds) to dst[p·ldp:] (row stride
// ldd), in one call (the channels of an image into the padded planes of a
// convolution). The planes must not overlap.
func (k *TapKernel) Copy3D(dst []float32, ldd, ldp int, src []float32, lds, lsp, planes, rows, cols int) {
	if planes <= 0 || rows <= 0 || cols <= 0 {
		return
	}
	if cols > ldd || cols > lds || ldp < 0 || lsp < 0 ||
		len(dst) < (planes-1)*ldp+(rows-1)*ldd+cols || len(src) < (planes-1)*lsp+(rows-1)*lds+cols {
		panic(fmt.Sprintf("simd: %s: copy of %d×%d×%d with strides %d, %d and %d, %d between %d and %d values",
			k.Name, planes, rows, cols, ldp, ldd, lsp, lds, len(dst), len(src)))
	}
	if k.isa == isaGo {
		for p := range planes {
			k.Copy2D(dst[p*ldp:], ldd, src[p*lsp:], lds, rows, cols)
		}
		return
	}
	copy3DAsm(k.isa, dst, ldd, ldp, src, lds, lsp, planes, rows, cols)
}

package native

import "github.com/inferd/inferd/tensor"

// Half precision slices for Cast and the float16 wrapper (tensor.Float16
// stores raw bits in a []uint16; the element conversions are tensor's).

func halfsToFloats(h []uint16) []float32 {
	f := make([]float32, len(h))
	for i, v := range h {
		f[i] = tensor.Float16ToFloat32(v)
	}
	return f
}

func floatsToHalfs(dst []uint16, f []float32) {
	for i, v := range f {
		dst[i] = tensor.Float32ToFloat16(v)
	}
}

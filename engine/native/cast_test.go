package native

import (
	"math"
	"testing"

	"github.com/inferd/inferd/tensor"
)

func TestHalfConversions(t *testing.T) {
	// Every half value survives a round trip through float32.
	for h := range 1 << 16 {
		f := tensor.Float16ToFloat32(uint16(h))
		back := tensor.Float32ToFloat16(f)
		if math.IsNaN(float64(f)) {
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x", h, f, back)
		}
	}
	tests := []struct {
		f    float32
		want uint16
	}{
		{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65520, 0x7c00}, {1e-8, 0},
		{float32(math.Inf(-1)), 0xfc00}, {5.960464477539063e-08, 0x0001},
		{1.0009765625, 0x3c01}, {1.00048828125, 0x3c00}, // ties to even
		{1.00146484375, 0x3c02},
	}
	for _, tc := range tests {
		if got := tensor.Float32ToFloat16(tc.f); got != tc.want {
			t.Errorf("tensor.Float32ToFloat16(%v) = %#04x, want %#04x", tc.f, got, tc.want)
		}
	}
}

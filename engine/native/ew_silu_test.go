package native

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/engine/native/internal/simd"
)

// TestFuseSiLU checks which programs fuseSiLU rewrites.
func TestFuseSiLU(t *testing.T) {
	sig := func(d, a int) ewInstr { return ewInstr{op: ewFunc, fn: sigmoidSlice, sigmoid: true, d: d, a: a, b: -1} }
	mul := func(d, a, b int) ewInstr { return ewInstr{op: ewMul, d: d, a: a, b: b} }
	tests := []struct {
		name string
		code []ewInstr
		want int
	}{
		{"x times sigmoid", []ewInstr{sig(1, 0), mul(2, 0, 1)}, 1},
		{"sigmoid times x", []ewInstr{sig(1, 0), mul(2, 1, 0)}, 1},
		{"after another instruction", []ewInstr{{op: ewAddS, d: 1, a: 0, b: -1, imm: 1}, sig(2, 1), mul(3, 1, 2)}, 2},
		{"sigmoid times another value", []ewInstr{sig(2, 0), mul(3, 1, 2)}, 2},
		{"sigmoid read again", []ewInstr{sig(1, 0), mul(2, 0, 1), mul(3, 2, 1)}, 3},
		{"square of the sigmoid", []ewInstr{sig(1, 0), mul(2, 1, 1)}, 2},
		{"another function", []ewInstr{{op: ewFunc, fn: expSlice, d: 1, a: 0, b: -1}, mul(2, 0, 1)}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := fuseSiLU(tc.code)
			if len(code) != tc.want {
				t.Fatalf("%d instructions, want %d", len(code), tc.want)
			}
			if last := code[len(code)-1]; tc.want < len(tc.code) && (last.op != ewFunc || last.sigmoid || last.b != -1) {
				t.Fatalf("fused into %+v", last)
			}
		})
	}
}

// TestSiLUSlice checks that siluSlice computes exactly what sigmoidSlice
// and a product do, with every tap kernel, in place too.
func TestSiLUSlice(t *testing.T) {
	defer func() { forcedTaps = nil }()
	r := rand.New(rand.NewPCG(13, 14))
	x := randFloats(r, 333)
	for i := range x {
		x[i] *= 20
	}
	x[0], x[1], x[2] = float32(math.NaN()), float32(math.Inf(-1)), float32(math.Inf(1))
	for _, k := range simd.TapKernels() {
		forcedTaps = k
		want := make([]float32, len(x))
		sigmoidSlice(want, x)
		for i := range want {
			want[i] *= x[i]
		}
		got := append([]float32(nil), x...)
		siluSlice(got, got)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("%s: silu(%v) = %v, want %v", k.Name, x[i], got[i], want[i])
			}
		}
	}
}

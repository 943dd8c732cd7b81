package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// fuseSiLU rewrites x·Sigmoid(x) (SiLU, Swish: a Sigmoid whose only
// reader is the next instruction, a product of it with the Sigmoid's own
// input, in either order) as one instruction running siluSlice: one pass
// over the block instead of two, with the same results.
func fuseSiLU(code []ewInstr) []ewInstr {
	for i := 0; i+1 < len(code); i++ {
		p, q := &code[i], &code[i+1]
		if p.op != ewFunc || !p.sigmoid || q.op != ewMul || p.d == p.a ||
			!(q.a == p.a && q.b == p.d || q.a == p.d && q.b == p.a) || readsOf(code[i+1:], p.d) != 1 {
			continue
		}
		code[i+1] = ewInstr{op: ewFunc, fn: siluSlice, d: q.d, a: p.a, b: -1}
		code = append(code[:i], code[i+1:]...)
	}
	return code
}

// siluSlice sets d[i] = x[i]·sigmoid(x[i]), rounded as sigmoidSlice and
// then the product; d may be x.
func siluSlice(d, x []float32) {
	if mapSIMD(simd.VecSiLU, d, x, nil, 0) {
		return
	}
	var buf [ewBlock]float32
	x = x[:len(d)]
	for len(x) > 0 {
		n := min(len(x), len(buf))
		s := buf[:n]
		sigmoidSlice(s, x[:n])
		for j, v := range s {
			d[j] = x[j] * v
		}
		d, x = d[n:], x[n:]
	}
}

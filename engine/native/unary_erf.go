package native

import "github.com/inferd/inferd/engine/native/internal/simd"

// erf32 is the error function in float32, as a rational function of x
// over [-4, 4] (the approximation of Eigen and XLA, within a few float32
// ulps of math.Erf; beyond 4, erf is ±1 in float32).
func erf32(x float32) float32 {
	if x > 4 {
		x = 4
	} else if x < -4 {
		x = -4
	}
	x2 := x * x
	p := x2*-2.72614225801306e-10 + 2.77068142495902e-08
	p = p*x2 - 2.10102402082508e-06
	p = p*x2 - 5.69250639462346e-05
	p = p*x2 - 7.34990630326855e-04
	p = p*x2 - 2.95459980854025e-03
	p = p*x2 - 1.60960333262415e-02
	q := x2*-1.45660718464996e-05 - 2.13374055278905e-04
	q = q*x2 - 1.68282697438203e-03
	q = q*x2 - 7.37332916720468e-03
	q = q*x2 - 1.42647390514189e-02
	return x * p / q
}

// erfSlice sets d[i] = erf(x[i]) in float32.
func erfSlice(d, x []float32) {
	if mapSIMD(simd.VecErf, d, x, nil, 0) {
		return
	}
	x = x[:len(d)]
	for i, v := range x {
		// erf32 keeps NaN: the comparisons fail and NaN·p/q is NaN.
		d[i] = erf32(v)
	}
}

// tanh32 is the hyperbolic tangent in float32, as a rational function of x
// over [-7.9053, 7.9053] (the approximation of Eigen; beyond it tanh is ±1
// in float32).
func tanh32(x float32) float32 {
	if x > 7.90531110763549805 {
		x = 7.90531110763549805
	} else if x < -7.90531110763549805 {
		x = -7.90531110763549805
	}
	x2 := x * x
	p := x2*-2.76076847742355e-16 + 2.00018790482477e-13
	p = p*x2 - 8.60467152213735e-11
	p = p*x2 + 5.12229709037114e-08
	p = p*x2 + 1.48572235717979e-05
	p = p*x2 + 6.37261928875436e-04
	p = p*x2 + 4.89352455891786e-03
	q := x2*1.19825839466702e-06 + 1.18534705686654e-04
	q = q*x2 + 2.26843463243900e-03
	q = q*x2 + 4.89352518554385e-03
	return x * p / q
}

// tanhSlice sets d[i] = tanh(x[i]) in float32.
func tanhSlice(d, x []float32) {
	if mapSIMD(simd.VecTanh, d, x, nil, 0) {
		return
	}
	x = x[:len(d)]
	for i, v := range x {
		d[i] = tanh32(v)
	}
}

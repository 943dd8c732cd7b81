package tensor

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// fastCorpus is JSON the direct decoder must agree on with the general
// one: valid tensors of every form, and everything it should decline.
var fastCorpus = []string{
	`0`, `-0`, `1`, `-1`, ` 7 `, "\t[1]\n", `[]`, `[[]]`, `[[], []]`, `[[[]]]`,
	`[1, 2, 3]`, `[[1, 2], [3, 4]]`, `[[[1], [2]], [[3], [4]]]`, `[ [ 1 , 2 ] , [ 3 , 4 ] ]`,
	`[1.5, -2.25, 3e2, 4E-2, 5e+1, 0.0, -0.0, 1e-320, 3.4028235e38, 3.5e38, 1e309]`,
	`[127, -128, 128, -129, 255, 256, -1]`,
	`[32767, -32768, 32768, 65535, 65536]`,
	`[2147483647, -2147483648, 2147483648, 4294967295, 4294967296]`,
	`[9223372036854775807, -9223372036854775808]`, `[9223372036854775808]`, `[-9223372036854775809]`,
	`[18446744073709551615]`, `[18446744073709551616]`, `[1234567890123456789]`, `[12345678901234567890]`,
	`[true, false]`, `[[true], [false]]`, `true`, `[tru]`, `[True]`,
	`[01]`, `[1.]`, `[.5]`, `[+1]`, `[1e]`, `[1e+]`, `[--1]`, `[-]`, `[0x10]`, `[1_000]`, `[Infinity]`, `[NaN]`,
	`["NaN", "Infinity", "-Infinity", 1]`, `["1"]`, `[null]`, `null`, `[{}]`, `{"a": 1}`,
	`[[1], [2, 3]]`, `[[1, 2], [3]]`, `[[1, 2], 3]`, `[1, [2]]`, `[[], [1]]`, `[[1], []]`,
	`[1, 2,]`, `[,1]`, `[1 2]`, `[1, 2`, `[1, 2]]`, `[1, 2] x`, `[1, 2] [3]`, `1 2`, ``, ` `, `[`, `]`,
	`[1,2]` + strings.Repeat(" ", 3), strings.Repeat("[", 70) + "1" + strings.Repeat("]", 70),
	strings.Repeat("[", 10) + "1" + strings.Repeat("]", 10),
	`[1.0, 2.5]`, `[1e2]`, `[-0]`, `[0]`, `[00]`, `[-01]`,
}

// TestFastFromJSONAgrees checks the direct decoder against the general
// one on the corpus, for every type: where it decodes, the general one
// decodes to the same tensor; where the general one decodes plain arrays
// of numbers the direct one takes them too.
func TestFastFromJSONAgrees(t *testing.T) {
	for _, raw := range fastCorpus {
		for dt := Bool; dt < String; dt++ {
			checkFastAgrees(t, []byte(raw), dt)
		}
	}
}

// checkFastAgrees fails t when the direct decoder's tensor for raw differs
// from the general decoder's.
func checkFastAgrees(t *testing.T, raw []byte, dt DType) {
	t.Helper()
	fast, ok := fastFromJSON(raw, dt)
	slow, err := slowFromJSON(raw, dt, nil)
	if !ok {
		return
	}
	if err != nil {
		t.Fatalf("%s as %v: direct decoder gives %v%v, general decoder fails: %v", raw, dt, fast.DType(), fast.Shape(), err)
	}
	if !sameTensor(fast, slow) {
		t.Fatalf("%s as %v: direct decoder gives %v %v, general %v %v", raw, dt, fast.Shape(), fast.Data(), slow.Shape(), slow.Data())
	}
}

// sameTensor compares dtype, shape and elements, NaN equal to NaN.
func sameTensor(a, b *Tensor) bool {
	return a.DType() == b.DType() && reflect.DeepEqual(a.Shape(), b.Shape()) &&
		fmt.Sprint(a.Data()) == fmt.Sprint(b.Data()) && reflect.TypeOf(a.Data()) == reflect.TypeOf(b.Data())
}

// TestFastFromJSONTakes checks that the direct decoder does take the
// plain tensors it is for (declining is always correct, but slow), with
// the values they hold.
func TestFastFromJSONTakes(t *testing.T) {
	tests := []struct {
		raw  string
		dt   DType
		want *Tensor
	}{
		{`[[1, 2], [3, 4]]`, Float32, MustFromSlice([]float32{1, 2, 3, 4}, 2, 2)},
		{`[[89, 79, 4, 20]]`, Int64, MustFromSlice([]int64{89, 79, 4, 20}, 1, 4)},
		{`[-9223372036854775808, 9223372036854775807]`, Int64, MustFromSlice([]int64{-9223372036854775808, 9223372036854775807}, 2)},
		{`[-128, 127]`, Int8, MustFromSlice([]int8{-128, 127}, 2)},
		{`[0, 255]`, Uint8, MustFromSlice([]uint8{0, 255}, 2)},
		{`[0, 4294967295]`, Uint32, MustFromSlice([]uint32{0, 4294967295}, 2)},
		{`[0.1, -2.5e-3]`, Float64, MustFromSlice([]float64{0.1, -2.5e-3}, 2)},
		{`[0.1]`, Float32, MustFromSlice([]float32{0.1}, 1)},
		{`[true, false]`, Bool, MustFromSlice([]bool{true, false}, 2)},
		{`[[], []]`, Float32, MustFromSlice([]float32{}, 2, 0)},
		{` 3 `, Int32, Scalar[int32](3)},
		{`[1.5]`, Float16, func() *Tensor { x, _ := FromFloat16Bits([]uint16{Float32ToFloat16(1.5)}, 1); return x }()},
	}
	for _, tt := range tests {
		got, ok := fastFromJSON([]byte(tt.raw), tt.dt)
		if !ok {
			t.Errorf("%s as %v: declined", tt.raw, tt.dt)
			continue
		}
		if !sameTensor(got, tt.want) {
			t.Errorf("%s as %v: got %v %v, want %v %v", tt.raw, tt.dt, got.Shape(), got.Data(), tt.want.Shape(), tt.want.Data())
		}
	}
}

// FuzzFastFromJSON: on any input the direct decoder either declines or
// agrees with the general decoder.
func FuzzFastFromJSON(f *testing.F) {
	for _, raw := range fastCorpus {
		f.Add([]byte(raw), uint8(Float32))
		f.Add([]byte(raw), uint8(Int64))
	}
	f.Fuzz(func(t *testing.T, raw []byte, dt uint8) {
		if dt == 0 || dt >= uint8(String) {
			return
		}
		checkFastAgrees(t, raw, DType(dt))
	})
}

// BenchmarkFromJSON compares the direct decoder with the general one on a
// small integer request (the bench transformer's) and a batch of images.
func BenchmarkFromJSON(b *testing.B) {
	img := New(Float32, 8, 1, 28, 28)
	for i, x := range Data[float32](img) {
		_ = x
		Data[float32](img)[i] = float32(i%255) / 255
	}
	cases := []struct {
		name string
		raw  []byte
		dt   DType
	}{
		{"int64x12", []byte(`[[89, 79, 4, 20, 90, 64, 34, 84, 75, 24, 96, 68]]`), Int64},
		{"fp32x6272", AppendJSON(nil, img), Float32},
	}
	for _, c := range cases {
		b.Run(c.name+"/general", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := slowFromJSON(c.raw, c.dt, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/direct", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := fastFromJSON(c.raw, c.dt); !ok {
					b.Fatal("declined")
				}
			}
		})
	}
}

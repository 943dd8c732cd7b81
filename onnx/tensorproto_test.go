package onnx

import (
	"encoding/binary"
	"math"
	"reflect"
	"runtime"
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
	"google.golang.org/protobuf/proto"
)

// raw encodes values little-endian, as raw_data holds them.
func raw(t testing.TB, v any) []byte {
	b, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tp(code onnxpb.TensorProto_DataType, dims ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(int32(code)), Dims: dims}
}

func with(p *onnxpb.TensorProto, f func(*onnxpb.TensorProto)) *onnxpb.TensorProto {
	f(p)
	return p
}

func TestDecodeTensorDTypes(t *testing.T) {
	const (
		bf15 = 0x3fc0 // bfloat16 1.5
		bfm2 = 0xc000 // bfloat16 -2
		h1   = 0x3c00 // float16 1
		hm2  = 0xc000 // float16 -2
	)
	tests := []struct {
		name   string
		tp     *onnxpb.TensorProto
		dtype  tensor.DType
		shape  []int
		values any
	}{
		{"float raw", with(tp(onnxpb.TensorProto_FLOAT, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []float32{1.5, -2}) }),
			tensor.Float32, []int{2}, []float32{1.5, -2}},
		{"float typed", with(tp(onnxpb.TensorProto_FLOAT, 1, 2), func(p *onnxpb.TensorProto) { p.FloatData = []float32{1.5, -2} }),
			tensor.Float32, []int{1, 2}, []float32{1.5, -2}},
		{"double raw", with(tp(onnxpb.TensorProto_DOUBLE, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []float64{1e300, -0.5}) }),
			tensor.Float64, []int{2}, []float64{1e300, -0.5}},
		{"double typed", with(tp(onnxpb.TensorProto_DOUBLE, 2), func(p *onnxpb.TensorProto) { p.DoubleData = []float64{1e300, -0.5} }),
			tensor.Float64, []int{2}, []float64{1e300, -0.5}},
		{"float16 raw", with(tp(onnxpb.TensorProto_FLOAT16, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []uint16{h1, hm2}) }),
			tensor.Float16, []int{2}, []uint16{h1, hm2}},
		{"float16 typed", with(tp(onnxpb.TensorProto_FLOAT16, 2), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{h1, hm2} }),
			tensor.Float16, []int{2}, []uint16{h1, hm2}},
		{"bfloat16 raw", with(tp(onnxpb.TensorProto_BFLOAT16, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []uint16{bf15, bfm2}) }),
			tensor.Float32, []int{2}, []float32{1.5, -2}},
		{"bfloat16 typed", with(tp(onnxpb.TensorProto_BFLOAT16, 2), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{bf15, bfm2} }),
			tensor.Float32, []int{2}, []float32{1.5, -2}},
		{"int8 raw", with(tp(onnxpb.TensorProto_INT8, 3), func(p *onnxpb.TensorProto) { p.RawData = []byte{0x80, 0x7f, 0xff} }),
			tensor.Int8, []int{3}, []int8{-128, 127, -1}},
		{"int8 typed", with(tp(onnxpb.TensorProto_INT8, 3), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{-128, 127, -1} }),
			tensor.Int8, []int{3}, []int8{-128, 127, -1}},
		{"int16 raw", with(tp(onnxpb.TensorProto_INT16, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []int16{-32768, 7}) }),
			tensor.Int16, []int{2}, []int16{-32768, 7}},
		{"int16 typed", with(tp(onnxpb.TensorProto_INT16, 2), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{-32768, 7} }),
			tensor.Int16, []int{2}, []int16{-32768, 7}},
		{"int32 raw", with(tp(onnxpb.TensorProto_INT32, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []int32{math.MinInt32, 7}) }),
			tensor.Int32, []int{2}, []int32{math.MinInt32, 7}},
		{"int32 typed", with(tp(onnxpb.TensorProto_INT32, 2), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{math.MinInt32, 7} }),
			tensor.Int32, []int{2}, []int32{math.MinInt32, 7}},
		{"int64 raw", with(tp(onnxpb.TensorProto_INT64, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []int64{math.MinInt64, 7}) }),
			tensor.Int64, []int{2}, []int64{math.MinInt64, 7}},
		{"int64 typed", with(tp(onnxpb.TensorProto_INT64, 2), func(p *onnxpb.TensorProto) { p.Int64Data = []int64{math.MinInt64, 7} }),
			tensor.Int64, []int{2}, []int64{math.MinInt64, 7}},
		{"uint8 raw", with(tp(onnxpb.TensorProto_UINT8, 2), func(p *onnxpb.TensorProto) { p.RawData = []byte{255, 1} }),
			tensor.Uint8, []int{2}, []uint8{255, 1}},
		{"uint8 typed", with(tp(onnxpb.TensorProto_UINT8, 2), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{255, 1} }),
			tensor.Uint8, []int{2}, []uint8{255, 1}},
		{"uint16 raw", with(tp(onnxpb.TensorProto_UINT16, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []uint16{65535, 1}) }),
			tensor.Uint16, []int{2}, []uint16{65535, 1}},
		{"uint16 typed", with(tp(onnxpb.TensorProto_UINT16, 2), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{65535, 1} }),
			tensor.Uint16, []int{2}, []uint16{65535, 1}},
		{"uint32 raw", with(tp(onnxpb.TensorProto_UINT32, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []uint32{math.MaxUint32, 1}) }),
			tensor.Uint32, []int{2}, []uint32{math.MaxUint32, 1}},
		{"uint32 typed", with(tp(onnxpb.TensorProto_UINT32, 2), func(p *onnxpb.TensorProto) { p.Uint64Data = []uint64{math.MaxUint32, 1} }),
			tensor.Uint32, []int{2}, []uint32{math.MaxUint32, 1}},
		{"uint64 raw", with(tp(onnxpb.TensorProto_UINT64, 2), func(p *onnxpb.TensorProto) { p.RawData = raw(t, []uint64{math.MaxUint64, 1}) }),
			tensor.Uint64, []int{2}, []uint64{math.MaxUint64, 1}},
		{"uint64 typed", with(tp(onnxpb.TensorProto_UINT64, 2), func(p *onnxpb.TensorProto) { p.Uint64Data = []uint64{math.MaxUint64, 1} }),
			tensor.Uint64, []int{2}, []uint64{math.MaxUint64, 1}},
		{"bool raw", with(tp(onnxpb.TensorProto_BOOL, 3), func(p *onnxpb.TensorProto) { p.RawData = []byte{0, 1, 2} }),
			tensor.Bool, []int{3}, []bool{false, true, true}},
		{"bool typed", with(tp(onnxpb.TensorProto_BOOL, 3), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{0, 1, 0} }),
			tensor.Bool, []int{3}, []bool{false, true, false}},
		{"string typed", with(tp(onnxpb.TensorProto_STRING, 2), func(p *onnxpb.TensorProto) { p.StringData = [][]byte{[]byte("héllo"), nil} }),
			tensor.String, []int{2}, []string{"héllo", ""}},
		{"scalar", with(tp(onnxpb.TensorProto_INT64), func(p *onnxpb.TensorProto) { p.Int64Data = []int64{42} }),
			tensor.Int64, []int{}, []int64{42}},
		{"empty", tp(onnxpb.TensorProto_FLOAT, 0, 3), tensor.Float32, []int{0, 3}, []float32{}},
		{"empty with empty raw_data", with(tp(onnxpb.TensorProto_INT32, 3, 0), func(p *onnxpb.TensorProto) { p.RawData = []byte{} }),
			tensor.Int32, []int{3, 0}, []int32{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeTensor(marshal(t, tt.tp))
			if err != nil {
				t.Fatal(err)
			}
			if got.DType() != tt.dtype || !reflect.DeepEqual(got.Shape(), tt.shape) {
				t.Fatalf("got %v %v, want %v %v", got.DType(), got.Shape(), tt.dtype, tt.shape)
			}
			if got.Len() == 0 && reflect.ValueOf(got.Data()).Len() == 0 {
				return // nil and empty slices are both fine
			}
			if !reflect.DeepEqual(got.Data(), tt.values) {
				t.Errorf("got data %v, want %v", got.Data(), tt.values)
			}
		})
	}
}

func TestDecodeTensorErrors(t *testing.T) {
	tests := []struct {
		name string
		tp   *onnxpb.TensorProto
		want []string
	}{
		{"raw too short", with(tp(onnxpb.TensorProto_FLOAT, 2), func(p *onnxpb.TensorProto) { p.RawData = []byte{1, 2, 3} }),
			[]string{`tensor "w"`, "raw data holds 3 bytes", "need 8"}},
		{"raw too long", with(tp(onnxpb.TensorProto_INT8, 1), func(p *onnxpb.TensorProto) { p.RawData = []byte{1, 2} }),
			[]string{`tensor "w"`, "holds 2 bytes", "need 1"}},
		{"typed too few", with(tp(onnxpb.TensorProto_FLOAT, 2, 2), func(p *onnxpb.TensorProto) { p.FloatData = []float32{1} }),
			[]string{`tensor "w"`, "float_data holds 1 values", "need 4"}},
		{"int32_data for int8 too many", with(tp(onnxpb.TensorProto_INT8, 1), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{1, 2} }),
			[]string{"int32_data holds 2 values"}},
		{"no data", tp(onnxpb.TensorProto_INT64, 3), []string{"int64_data holds 0 values", "need 3"}},
		{"wrong typed field", with(tp(onnxpb.TensorProto_INT64, 1), func(p *onnxpb.TensorProto) { p.Int32Data = []int32{1} }),
			[]string{"int64_data holds 0 values"}},
		{"negative dim", with(tp(onnxpb.TensorProto_FLOAT, 2, -1), func(p *onnxpb.TensorProto) { p.FloatData = []float32{1} }),
			[]string{`tensor "w"`, "negative dimension -1"}},
		{"huge dim", tp(onnxpb.TensorProto_FLOAT, 1<<40), []string{"dimension 1099511627776", "too large"}},
		{"absurd element count", with(tp(onnxpb.TensorProto_FLOAT, 1<<20, 1<<20, 1<<20), func(p *onnxpb.TensorProto) { p.RawData = []byte{1, 2, 3, 4} }),
			[]string{`tensor "w"`, "too many elements"}},
		{"large shape, tiny raw data", with(tp(onnxpb.TensorProto_DOUBLE, 1<<14, 1<<14), func(p *onnxpb.TensorProto) { p.RawData = []byte{1} }),
			[]string{"raw data holds 1 bytes", "need 2147483648"}},
		{"complex64", with(tp(onnxpb.TensorProto_COMPLEX64, 1), func(p *onnxpb.TensorProto) { p.FloatData = []float32{1, 2} }),
			[]string{`tensor "w"`, "unsupported data type COMPLEX64"}},
		{"complex128", tp(onnxpb.TensorProto_COMPLEX128, 1), []string{"unsupported data type COMPLEX128"}},
		{"unknown data type", &onnxpb.TensorProto{Name: proto.String("q"), DataType: proto.Int32(99)},
			[]string{`tensor "q"`, "unsupported data type data type 99"}},
		{"undefined data type", &onnxpb.TensorProto{Name: proto.String("u")}, []string{`tensor "u"`, "UNDEFINED"}},
		{"string raw", with(tp(onnxpb.TensorProto_STRING, 1), func(p *onnxpb.TensorProto) { p.RawData = []byte("abc") }),
			[]string{"STRING tensors cannot use raw_data"}},
		{"segment", with(tp(onnxpb.TensorProto_FLOAT, 1), func(p *onnxpb.TensorProto) {
			p.FloatData = []float32{1}
			p.Segment = &onnxpb.TensorProto_Segment{Begin: proto.Int64(0), End: proto.Int64(1)}
		}), []string{"segmented tensors are not supported"}},
		{"external without base dir", with(tp(onnxpb.TensorProto_FLOAT, 1), func(p *onnxpb.TensorProto) {
			p.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
			p.ExternalData = []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}
		}), []string{`tensor "w"`, "WithBaseDir"}},
		{"unnamed", &onnxpb.TensorProto{DataType: proto.Int32(tFloat), Dims: []int64{1}}, []string{"tensor (unnamed)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTensor(marshal(t, tt.tp))
			checkInvalid(t, err, tt.want...)
		})
	}
	t.Run("not a protobuf", func(t *testing.T) {
		_, err := DecodeTensor([]byte{0xff, 0xff, 0xff})
		checkInvalid(t, err, "parse TensorProto")
	})
}

// TestHostileSizesDoNotAllocate checks that small inputs that claim huge
// tensors are rejected before anything of that size is allocated.
func TestHostileSizesDoNotAllocate(t *testing.T) {
	sparse := &onnxpb.SparseTensorProto{
		Dims:    []int64{1 << 15, 1 << 15},
		Values:  floatTensor("s", []int64{1}, 1),
		Indices: &onnxpb.TensorProto{Name: proto.String("i"), DataType: proto.Int32(tInt64), Dims: []int64{1}, Int64Data: []int64{0}},
	}
	g := reluGraph()
	g.SparseInitializer = []*onnxpb.SparseTensorProto{sparse}
	inputs := map[string][]byte{
		"raw":    marshal(t, with(tp(onnxpb.TensorProto_DOUBLE, 1<<15, 1<<15), func(p *onnxpb.TensorProto) { p.RawData = []byte{1} })),
		"typed":  marshal(t, with(tp(onnxpb.TensorProto_INT64, 1<<15, 1<<15), func(p *onnxpb.TensorProto) { p.Int64Data = []int64{1} })),
		"sparse": marshal(t, modelProto(g)),
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err1 := DecodeTensor(data)
			_, err2 := Decode(data)
			runtime.ReadMemStats(&after)
			if err1 == nil && err2 == nil {
				t.Fatal("want an error")
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
				t.Errorf("decoding a %d-byte input allocated %d bytes", len(data), d)
			}
		})
	}
}

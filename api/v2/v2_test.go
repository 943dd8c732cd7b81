package v2

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/inferd/inferd/tensor"
)

// samples are tensors of every datatype with the extremes of each.
func samples(t *testing.T) map[string]*tensor.Tensor {
	t.Helper()
	f16, err := tensor.FromFloat16Bits([]uint16{0x3c00, 0xc100, 0x7bff}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*tensor.Tensor{
		"BOOL":   tensor.MustFromSlice([]bool{true, false, true}, 3),
		"UINT8":  tensor.MustFromSlice([]uint8{0, 255, 7}, 3),
		"UINT16": tensor.MustFromSlice([]uint16{0, math.MaxUint16, 7}, 3),
		"UINT32": tensor.MustFromSlice([]uint32{0, math.MaxUint32, 7}, 3),
		"UINT64": tensor.MustFromSlice([]uint64{0, math.MaxUint64, 7}, 3),
		"INT8":   tensor.MustFromSlice([]int8{math.MinInt8, math.MaxInt8, -1}, 3),
		"INT16":  tensor.MustFromSlice([]int16{math.MinInt16, math.MaxInt16, -1}, 3),
		"INT32":  tensor.MustFromSlice([]int32{math.MinInt32, math.MaxInt32, -1}, 3),
		"INT64":  tensor.MustFromSlice([]int64{math.MinInt64, math.MaxInt64, -1}, 3),
		"FP16":   f16,
		"FP32":   tensor.MustFromSlice([]float32{0.1, -math.MaxFloat32, float32(math.Inf(1))}, 3),
		"FP64":   tensor.MustFromSlice([]float64{0.1, math.MaxFloat64, -math.SmallestNonzeroFloat64}, 3),
		"BYTES":  tensor.MustFromSlice([]string{"", "é", "\xff\x00"}, 3),
	}
}

func same(t *testing.T, got, want *tensor.Tensor) {
	t.Helper()
	if got.DType() != want.DType() || got.String() != want.String() || string(AppendRaw(nil, got)) != string(AppendRaw(nil, want)) {
		t.Fatalf("got %v %s, want %v %s", got, tensor.AppendJSON(nil, got), want, tensor.AppendJSON(nil, want))
	}
}

func TestRawRoundTrip(t *testing.T) {
	for name, x := range samples(t) {
		t.Run(name, func(t *testing.T) {
			b := AppendRaw([]byte("prefix"), x)
			if len(b)-6 != RawSize(x) {
				t.Fatalf("%d bytes, RawSize %d", len(b)-6, RawSize(x))
			}
			y, err := DecodeRaw(x.DType(), []int{3}, b[6:])
			if err != nil {
				t.Fatal(err)
			}
			same(t, y, x)
		})
	}
	// Little-endian, 4-byte length prefixes.
	if b := AppendRaw(nil, tensor.MustFromSlice([]int32{1, -2}, 2)); !bytes.Equal(b, []byte{1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}) {
		t.Errorf("INT32 raw = %v", b)
	}
	if b := AppendRaw(nil, tensor.MustFromSlice([]string{"ab", ""}, 2)); !bytes.Equal(b, []byte{2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0}) {
		t.Errorf("BYTES raw = %v", b)
	}
}

func TestDecodeRawErrors(t *testing.T) {
	tests := []struct {
		name  string
		dt    tensor.DType
		shape []int
		data  []byte
		want  string
	}{
		{"short", tensor.Float32, []int{2, 2}, make([]byte, 15), "15 bytes of data for FP32[2 2], which needs 16 (4 elements of 4 bytes)"},
		{"long", tensor.Int64, []int{1}, make([]byte, 9), "9 bytes of data for INT64[1], which needs 8"},
		{"bool not 0 or 1", tensor.Bool, []int{2}, []byte{1, 2}, "BOOL element 1 is byte 2, not 0 or 1"},
		{"negative dimension", tensor.Float32, []int{-1}, nil, "negative dimension"},
		{"huge shape, little data", tensor.String, []int{1 << 30}, make([]byte, 8), "8 bytes of data cannot hold the 1073741824 BYTES elements"},
		{"length overruns", tensor.String, []int{1}, []byte{5, 0, 0, 0, 'a'}, "BYTES element 0: length 5 at byte 0 overruns the 5 bytes of data"},
		{"truncated length", tensor.String, []int{2}, []byte{1, 0, 0, 0, 'a', 1, 0, 0}, "BYTES element 1: the data ends before its 4-byte length (at byte 5 of 8)"},
		{"left over", tensor.String, []int{1}, []byte{1, 0, 0, 0, 'a', 'b'}, "1 bytes left over after the 1 BYTES elements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRaw(tt.dt, tt.shape, tt.data)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid with %q", err, tt.want)
			}
		})
	}
}

func TestContentsRoundTrip(t *testing.T) {
	for name, x := range samples(t) {
		t.Run(name, func(t *testing.T) {
			c, err := ContentsOf(x)
			if x.DType() == tensor.Float16 {
				if err == nil || HasContents(tensor.Float16) {
					t.Fatal("FP16 has typed contents")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			y, err := TensorFromContents(x.DType(), []int{3}, c)
			if err != nil {
				t.Fatal(err)
			}
			same(t, y, x)
		})
	}
}

func TestTensorFromContentsErrors(t *testing.T) {
	tests := []struct {
		name string
		dt   tensor.DType
		c    *InferTensorContents
		want string
	}{
		{"count", tensor.Float32, &InferTensorContents{Fp32Contents: []float32{1}}, "shape [2] needs 2 elements, fp32_contents has 1"},
		{"wrong field", tensor.Float32, &InferTensorContents{Fp64Contents: []float64{1, 2}}, "FP32 data belongs in fp32_contents, but the contents set fp64_contents"},
		{"several wrong fields", tensor.Float32, &InferTensorContents{Uint64Contents: []uint64{1}, IntContents: []int32{1}, BytesContents: [][]byte{{1}}, Int64Contents: []int64{1}},
			"FP32 data belongs in fp32_contents, but the contents set int_contents"},
		{"two fields", tensor.Int64, &InferTensorContents{Int64Contents: []int64{1, 2}, IntContents: []int32{1}}, "but the contents set int_contents"},
		{"int8 range", tensor.Int8, &InferTensorContents{IntContents: []int32{-129, 0}}, "element 0 is -129, out of the range of INT8"},
		{"uint16 range", tensor.Uint16, &InferTensorContents{UintContents: []uint32{0, 70000}}, "element 1 is 70000, out of the range of UINT16"},
		{"fp16", tensor.Float16, &InferTensorContents{UintContents: []uint32{0, 1}}, "FP16 data has no typed contents field"},
		{"nil", tensor.Bool, nil, "shape [2] needs 2 elements, bool_contents has 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // the same error every time
				_, err := TensorFromContents(tt.dt, []int{2}, tt.c)
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
			}
		})
	}
}

func TestSplitBodyAndBinaryData(t *testing.T) {
	body := []byte(`{"a":1}` + "0123456789")
	head, rest, err := SplitBody(body, "7")
	if err != nil || string(head) != `{"a":1}` || string(rest) != "0123456789" {
		t.Fatalf("SplitBody = %q, %q, %v", head, rest, err)
	}
	if head, rest, err := SplitBody(body, ""); err != nil || len(head) != len(body) || rest != nil {
		t.Fatalf("no header: %q, %q, %v", head, rest, err)
	}
	for hl, want := range map[string]string{"18": "is 18 but the body has only 17 bytes", "-1": `"-1" is not a non-negative integer`, "x": `"x" is not`} {
		if _, _, err := SplitBody(body, hl); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("SplitBody(%q) = %v, want %q", hl, err, want)
		}
	}
	d := NewBinaryData(rest)
	if b, err := d.next(4, "input a"); err != nil || string(b) != "0123" {
		t.Fatalf("next = %q, %v", b, err)
	}
	if _, err := d.next(7, "input b"); err == nil || !strings.Contains(err.Error(), "input b has binary_data_size 7 but only 6 bytes of binary data are left at offset 4") {
		t.Fatalf("overrun: %v", err)
	}
	if err := d.Done(); err == nil || !strings.Contains(err.Error(), "6 bytes of binary data are left over") {
		t.Fatalf("Done = %v", err)
	}
	var none *BinaryData
	if err := none.Done(); err != nil {
		t.Fatal(err)
	}
}

func TestRequestInputTensor(t *testing.T) {
	dec := func(s string) RequestInput {
		t.Helper()
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var in RequestInput
		if err := d.Decode(&in); err != nil {
			t.Fatal(err)
		}
		return in
	}
	for _, s := range []string{
		`{"name": "x", "shape": [2, 2], "datatype": "INT32", "data": [1, 2, 3, 4]}`,
		`{"name": "x", "shape": [2, 2], "datatype": "INT32", "data": [[1, 2], [3, 4]]}`,
		`{"name": "x", "shape": [2, 2], "datatype": "INT32", "data": [[1, 2, 3, 4]]}`,
	} {
		in := dec(s)
		x, err := in.Tensor(nil)
		if err != nil || x.String() != "INT32[2 2]" || string(tensor.AppendJSON(nil, x)) != "[[1,2],[3,4]]" {
			t.Errorf("%s: %v %v", s, x, err)
		}
	}
	in := dec(`{"name": "x", "shape": [2], "datatype": "FP16", "parameters": {"binary_data_size": 4}}`)
	x, err := in.Tensor(NewBinaryData([]byte{0, 0x3c, 0, 0xc0}))
	if err != nil || string(tensor.AppendJSON(nil, x)) != "[1,-2]" {
		t.Fatalf("binary FP16: %v %s", err, tensor.AppendJSON(nil, x))
	}
	bad := []struct{ json, want string }{
		{`{"name": "x", "shape": [3], "datatype": "INT32", "data": [1, 2]}`, `input "x": shape [3] needs 3 elements, data has 2`},
		{`{"name": "x", "shape": [1], "datatype": "INT33", "data": [1]}`, `input "x": unknown datatype "INT33"`},
		{`{"name": "x", "shape": [1], "datatype": "INT8", "data": [300]}`, `input "x": bad JSON tensor: element [0]: number 300 is not an integer in the range of INT8`},
		{`{"name": "x", "datatype": "INT8", "data": [1]}`, `input "x" has no shape`},
		{`{"name": "x", "shape": [4294967296], "datatype": "INT8", "data": [1]}`, "dimension 4294967296 is out of range"},
		{`{"name": "x", "shape": [1], "datatype": "INT8", "parameters": {"binary_data_size": 1.5}}`, `parameter "binary_data_size" must be a non-negative integer, got 1.5`},
	}
	for _, b := range bad {
		in := dec(b.json)
		if _, err := in.Tensor(nil); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: %v, want %q", b.json, err, b.want)
		}
	}
}

func TestEncodeTensor(t *testing.T) {
	x := tensor.MustFromSlice([]float32{1.5, -2}, 1, 2)
	params, data, bin, err := EncodeTensor(x, false, nil, nil)
	if err != nil || params != nil || string(data) != "[1.5,-2]" || bin != nil {
		t.Fatalf("JSON: %v %s %v %v", params, data, bin, err)
	}
	params, data, bin, err = EncodeTensor(x, true, Parameters{"k": "v"}, []byte{9})
	if err != nil || params[ParamBinaryDataSize] != 8 || params["k"] != "v" || data != nil || len(bin) != 9 {
		t.Fatalf("binary: %v %s %v %v", params, data, bin, err)
	}
	if _, _, _, err := EncodeTensor(tensor.MustFromSlice([]string{"\xff"}, 1), false, nil, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Fatalf("non-UTF-8 BYTES as JSON: %v", err)
	}
}

// FuzzDecodeRaw: arbitrary bytes never panic, and what decodes re-encodes
// to the same bytes.
func FuzzDecodeRaw(f *testing.F) {
	f.Add(uint8(tensor.String), 2, []byte{1, 0, 0, 0, 'a', 0, 0, 0, 0})
	f.Add(uint8(tensor.Float32), 1, []byte{0, 0, 0x80, 0x3f})
	f.Add(uint8(tensor.Bool), 3, []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, dt uint8, n int, data []byte) {
		if dt == 0 || dt > uint8(tensor.String) {
			return
		}
		x, err := DecodeRaw(tensor.DType(dt), []int{n}, data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		if !bytes.Equal(AppendRaw(nil, x), data) {
			t.Fatalf("round trip of %v differs", x)
		}
	})
}

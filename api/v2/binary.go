package v2

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/inferd/inferd/tensor"
)

// HeaderContentLength is the HTTP header of the binary tensor data
// extension: the size of the JSON object that starts the body; the binary
// tensor data follows it.
const HeaderContentLength = "Inference-Header-Content-Length"

// SplitBody splits a REST body into its JSON object and the binary data
// after it. headerLen is the value of the Inference-Header-Content-Length
// header, "" when there is none (the body is all JSON).
func SplitBody(body []byte, headerLen string) (jsonPart, data []byte, err error) {
	if headerLen == "" {
		return body, nil, nil
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(headerLen), 10, 64)
	if perr != nil || n < 0 {
		return nil, nil, invalidf("%s %q is not a non-negative integer", HeaderContentLength, headerLen)
	}
	if n > int64(len(body)) {
		return nil, nil, invalidf("%s is %d but the body has only %d bytes", HeaderContentLength, n, len(body))
	}
	return body[:n], body[n:], nil
}

// BinaryData hands out the binary data of consecutive tensors, in order.
type BinaryData struct {
	b   []byte
	off int
}

// NewBinaryData returns a reader of b.
func NewBinaryData(b []byte) *BinaryData { return &BinaryData{b: b} }

// next returns the next n bytes.
func (d *BinaryData) next(n int64, what string) ([]byte, error) {
	if d == nil {
		return nil, invalidf("%s has %s %d but the body has no binary data (no %s header)", what, ParamBinaryDataSize, n, HeaderContentLength)
	}
	if left := int64(len(d.b) - d.off); n > left {
		return nil, invalidf("%s has %s %d but only %d bytes of binary data are left at offset %d", what, ParamBinaryDataSize, n, left, d.off)
	}
	b := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return b, nil
}

// Done fails if binary data is left over after every tensor took its share.
func (d *BinaryData) Done() error {
	if d != nil && d.off != len(d.b) {
		return invalidf("%d bytes of binary data are left over after the tensors' %s (%d bytes)", len(d.b)-d.off, ParamBinaryDataSize, d.off)
	}
	return nil
}

// Tensor decodes a request input: its JSON data, or its binary data from
// bin when it has the binary_data_size parameter.
func (in *RequestInput) Tensor(bin *BinaryData) (*tensor.Tensor, error) {
	return decodeTensor("input "+quote(in.Name), in.Datatype, in.Shape, in.Parameters, in.Data, bin)
}

// Tensor decodes a response output like RequestInput.Tensor.
func (out *ResponseOutput) Tensor(bin *BinaryData) (*tensor.Tensor, error) {
	return decodeTensor("output "+quote(out.Name), out.Datatype, out.Shape, out.Parameters, out.Data, bin)
}

// ParseDatatype parses a v2 datatype name (case-sensitive, as the protocol
// spells them).
func ParseDatatype(s string) (tensor.DType, error) {
	dt, err := tensor.ParseDType(s)
	if err != nil || dt.String() != s {
		return tensor.Invalid, invalidf("unknown datatype %s (want BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64 or BYTES)", quote(s))
	}
	return dt, nil
}

func decodeTensor(what, datatype string, dims []int64, params Parameters, data json.RawMessage, bin *BinaryData) (*tensor.Tensor, error) {
	dt, err := ParseDatatype(datatype)
	if err != nil {
		return nil, prefix(what, err)
	}
	if dims == nil {
		return nil, invalidf("%s has no shape", what)
	}
	shape, err := Shape(dims)
	if err != nil {
		return nil, prefix(what, err)
	}
	size, binary, err := params.Int(ParamBinaryDataSize)
	if err != nil {
		return nil, prefix(what, err)
	}
	hasData := len(data) > 0 && string(data) != "null"
	switch {
	case binary && hasData:
		return nil, invalidf("%s has both data and %s; send one", what, ParamBinaryDataSize)
	case binary:
		b, err := bin.next(size, what)
		if err != nil {
			return nil, err
		}
		t, err := DecodeRaw(dt, shape, b)
		return t, prefix(what, err)
	case hasData:
		t, err := DecodeJSONData(dt, shape, data)
		return t, prefix(what, err)
	}
	return nil, invalidf("%s has no data and no %s parameter", what, ParamBinaryDataSize)
}

func prefix(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// DecodeJSONData decodes JSON tensor data, flat or nested in any way that
// holds the right number of elements, into a tensor of type dt and the
// given shape. Errors wrap tensor.ErrJSON (bad elements) or ErrInvalid
// (wrong element count).
func DecodeJSONData(dt tensor.DType, shape []int, data json.RawMessage) (*tensor.Tensor, error) {
	t, err := tensor.FromJSON(data, dt)
	if err != nil {
		return nil, err
	}
	if n := tensor.NumElements(shape); t.Len() != n {
		return nil, invalidf("shape %v needs %d elements, data has %d", shape, n, t.Len())
	}
	return t.Reshape(shape...)
}

// JSONData returns t's elements as a flat JSON array. BYTES elements must
// be valid UTF-8 to travel as JSON strings.
func JSONData(t *tensor.Tensor) (json.RawMessage, error) {
	if t.DType() == tensor.String {
		for i, s := range tensor.Data[string](t) {
			if !utf8.ValidString(s) {
				return nil, invalidf("BYTES element %d is not valid UTF-8, so it cannot be a JSON string; ask for binary data", i)
			}
		}
	}
	flat, err := t.Reshape(t.Len())
	if err != nil {
		return nil, err
	}
	return tensor.AppendJSON(nil, flat), nil
}

// EncodeTensor returns t's wire form for a request input or response
// output: JSON data, or (binary) its binary data appended to bin and the
// binary_data_size parameter. params may be nil.
func EncodeTensor(t *tensor.Tensor, binary bool, params Parameters, bin []byte) (Parameters, json.RawMessage, []byte, error) {
	if binary {
		start := len(bin)
		bin = AppendRaw(bin, t)
		p := Parameters{}
		for k, v := range params {
			p[k] = v
		}
		p[ParamBinaryDataSize] = len(bin) - start
		return p, nil, bin, nil
	}
	data, err := JSONData(t)
	return params, data, bin, err
}

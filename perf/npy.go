package perf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/inferd/inferd/tensor"
)

// npyTypes maps the NumPy type codes perf reads (little-endian or
// byte-sized) to tensor types.
var npyTypes = map[string]tensor.DType{
	"f2": tensor.Float16, "f4": tensor.Float32, "f8": tensor.Float64,
	"i1": tensor.Int8, "i2": tensor.Int16, "i4": tensor.Int32, "i8": tensor.Int64,
	"u1": tensor.Uint8, "u2": tensor.Uint16, "u4": tensor.Uint32, "u8": tensor.Uint64,
	"b1": tensor.Bool,
}

var (
	npyDescr   = regexp.MustCompile(`'descr'\s*:\s*'([<|>=])([a-z]\d+)'`)
	npyFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// decodeNPY decodes a NumPy .npy file (format versions 1 to 3, C order,
// little-endian numeric or bool types).
func decodeNPY(b []byte) (*tensor.Tensor, error) {
	if len(b) < 10 || !bytes.HasPrefix(b, []byte("\x93NUMPY")) {
		return nil, errors.New("not a .npy file (no \\x93NUMPY magic)")
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, errors.New(".npy header truncated")
		}
		hlen, off = int(binary.LittleEndian.Uint32(b[8:12])), 12
	default:
		return nil, fmt.Errorf(".npy format version %d is not supported", b[6])
	}
	if hlen > len(b)-off {
		return nil, errors.New(".npy header truncated")
	}
	header, data := string(b[off:off+hlen]), b[off+hlen:]
	dt, shape, err := parseNPYHeader(header)
	if err != nil {
		return nil, err
	}
	n := tensor.NumElements(shape)
	if n*dt.Size() != len(data) {
		return nil, fmt.Errorf(".npy shape %v of %v needs %d bytes of data, the file has %d", shape, dt, n*dt.Size(), len(data))
	}
	return rawTensor(data, dt, shape)
}

func parseNPYHeader(h string) (tensor.DType, []int, error) {
	d := npyDescr.FindStringSubmatch(h)
	if d == nil {
		return 0, nil, fmt.Errorf(".npy header %q has no simple 'descr'", h)
	}
	dt, ok := npyTypes[d[2]]
	if !ok || (d[1] == ">" && dt.Size() > 1) {
		return 0, nil, fmt.Errorf(".npy element type %s%s is not supported (little-endian numbers and bool only)", d[1], d[2])
	}
	if f := npyFortran.FindStringSubmatch(h); f == nil || f[1] == "True" {
		return 0, nil, errors.New(".npy array is not in C order (save it with np.ascontiguousarray)")
	}
	s := npyShape.FindStringSubmatch(h)
	if s == nil {
		return 0, nil, fmt.Errorf(".npy header %q has no 'shape'", h)
	}
	shape := []int{}
	for _, part := range strings.Split(s[1], ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil || v < 0 {
			return 0, nil, fmt.Errorf(".npy shape (%s): %q is not a size", s[1], part)
		}
		shape = append(shape, v)
	}
	if err := tensor.CheckShape(shape); err != nil {
		return 0, nil, fmt.Errorf(".npy shape %v: %w", shape, err)
	}
	return dt, shape, nil
}

// rawTensor makes a tensor of type dt and the given shape from
// little-endian element bytes (len(data) = elements × dt.Size()).
func rawTensor(data []byte, dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	if dt.Size() == 0 {
		return nil, fmt.Errorf("%v elements have no raw byte form", dt)
	}
	if n := tensor.NumElements(shape); n*dt.Size() != len(data) {
		return nil, fmt.Errorf("%d bytes are not %d %v elements", len(data), n, dt)
	}
	t := tensor.New(dt, shape...)
	// Numbers, bools (non-zero bytes are true) and float16 bits alike.
	if _, err := binary.Decode(data, binary.LittleEndian, t.Data()); err != nil {
		return nil, err
	}
	return t, nil
}

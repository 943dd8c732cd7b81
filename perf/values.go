package perf

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/onnx"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/tensor"
)

// Value is what --input gives one model input instead of random data:
// a constant (Const, every element of the input's shape) or the tensor in
// a file (Path: .npy, .json, .raw/.bin little-endian elements, or an image
// preprocessed as the model's config.yaml says).
type Value struct {
	Const string
	Path  string
	file  []byte // Path's contents, read once
}

// maxValueFile bounds an input file perf reads.
const maxValueFile = 1 << 30

// ParseInput parses an --input value NAME=VALUE: VALUE is a file when it
// ends in .npy, .json, .raw, .bin, .png, .jpg, .jpeg or .webp (read now),
// otherwise a constant in the input's type (16000, 0.5, true, or a string).
func ParseInput(s string) (string, Value, error) {
	name, v, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return "", Value{}, fmt.Errorf("input %q is not NAME=FILE or NAME=CONSTANT", s)
	}
	switch strings.ToLower(filepath.Ext(v)) {
	case ".npy", ".json", ".raw", ".bin", ".png", ".jpg", ".jpeg", ".webp":
	default:
		return name, Value{Const: v}, nil
	}
	st, err := os.Stat(v)
	if err != nil {
		return "", Value{}, fmt.Errorf("input %s: %w", name, err)
	}
	if st.Size() > maxValueFile {
		return "", Value{}, fmt.Errorf("input %s: %s is %d bytes, over perf's 1 GiB limit", name, v, st.Size())
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return "", Value{}, fmt.Errorf("input %s: %w", name, err)
	}
	return name, Value{Path: v, file: b}, nil
}

// decode returns the file's tensor as type dt, or nil for a constant or a
// raw file (whose shape is the input's). image preprocesses an image file.
func (v Value) decode(dt tensor.DType, image func([]byte) (*tensor.Tensor, error)) (*tensor.Tensor, error) {
	var (
		t   *tensor.Tensor
		err error
	)
	switch strings.ToLower(filepath.Ext(v.Path)) {
	case ".npy":
		if t, err = decodeNPY(v.file); err == nil {
			t, err = convert(t, dt)
		}
	case ".json":
		t, err = jsonValue(v.file, dt)
	case ".raw", ".bin", "":
		return nil, nil
	default: // an image
		if t, err = image(v.file); err == nil {
			t, err = convert(t, dt)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.Path, err)
	}
	return t, nil
}

// jsonValue decodes a JSON file holding a nested array (or a number), or
// a seed request body {"inputs": {NAME: ...}} with a single input.
func jsonValue(b []byte, dt tensor.DType) (*tensor.Tensor, error) {
	var body struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if json.Unmarshal(b, &body) == nil && len(body.Inputs) > 0 {
		if len(body.Inputs) != 1 {
			return nil, fmt.Errorf("the request body has %d inputs; give each input its own file", len(body.Inputs))
		}
		for _, raw := range body.Inputs {
			b = raw
		}
	}
	if dt == tensor.String {
		return tensor.StringsFromJSON(b, nil)
	}
	return tensor.FromJSON(b, dt)
}

// fileDims sizes the variable dimensions of the inputs given by a file
// from the file's tensor (so they need no --dim): into dims as
// "input:axis". A file may leave out the batch axis.
func fileDims(infos []engine.TensorInfo, files map[string]*tensor.Tensor, dims map[string]int) {
	for _, in := range infos {
		t := files[in.Name]
		if t == nil {
			continue
		}
		shift := len(in.Shape) - t.Rank() // 1: the file has no batch axis
		for axis := 1; axis < len(in.Shape); axis++ {
			if in.Shape[axis] < 0 && (shift == 0 || shift == 1) && axis-shift >= 0 {
				dims[fmt.Sprintf("%s:%d", in.Name, axis)] = t.Shape()[axis-shift]
			}
		}
	}
}

// fitValue makes the input of the given shape from v: a constant fills it;
// a file's tensor must have the shape, or be one row of it (with or
// without the batch axis), which is repeated for every row.
func fitValue(name string, dt tensor.DType, shape []int, v Value, file *tensor.Tensor) (*tensor.Tensor, error) {
	switch {
	case v.Const != "":
		c, err := constant(v.Const, dt)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", name, err)
		}
		return repeat(c, shape), nil
	case file == nil: // raw
		n := tensor.NumElements(shape)
		if len(shape) > 0 && shape[0] > 0 && len(v.file) == n/shape[0]*dt.Size() {
			row, err := rawTensor(v.file, dt, append([]int{1}, shape[1:]...))
			if err != nil {
				return nil, fmt.Errorf("input %s: %s: %w", name, v.Path, err)
			}
			return repeat(row, shape), nil
		}
		t, err := rawTensor(v.file, dt, shape)
		if err != nil {
			return nil, fmt.Errorf("input %s: %s holds %d bytes, not %v of %v (%d bytes, or one row of it)", name, v.Path, len(v.file), shape, dt, n*dt.Size())
		}
		return t, nil
	}
	fs := file.Shape()
	switch {
	case slices.Equal(fs, shape):
		return file, nil
	case len(shape) > 0 && (slices.Equal(fs, shape[1:]) || len(fs) == len(shape) && fs[0] == 1 && slices.Equal(fs[1:], shape[1:])):
		return repeat(file, shape), nil
	}
	return nil, fmt.Errorf("input %s: %s holds shape %v, the run needs %v (or one row of it); the batch is --batch", name, v.Path, fs, shape)
}

// constant parses s as one element of type dt.
func constant(s string, dt tensor.DType) (*tensor.Tensor, error) {
	if dt == tensor.String {
		return tensor.MustFromSlice([]string{s}), nil
	}
	if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("constant %q is not one %v value", s, dt)
	}
	t, err := tensor.FromJSON(json.RawMessage(s), dt)
	if err != nil || t.Rank() != 0 {
		return nil, fmt.Errorf("constant %q is not one %v value", s, dt)
	}
	return t, nil
}

// repeat fills a tensor of the given shape with copies of src's elements
// (src's element count divides the shape's).
func repeat(src *tensor.Tensor, shape []int) *tensor.Tensor {
	dst := tensor.New(src.DType(), shape...)
	d, s := reflect.ValueOf(dst.Data()), reflect.ValueOf(src.Data())
	if d.Len() == 0 || s.Len() == 0 {
		return dst
	}
	done := reflect.Copy(d, s)
	for done < d.Len() { // doubling: log(n) copies
		done += reflect.Copy(d.Slice(done, d.Len()), d.Slice(0, done))
	}
	return dst
}

// convert returns t as type dt: the same tensor if it already is, a
// numeric conversion between number types (and to bool: non-zero).
func convert(t *tensor.Tensor, dt tensor.DType) (*tensor.Tensor, error) {
	if t.DType() == dt {
		return t, nil
	}
	numeric := func(d tensor.DType) bool { return d.IsFloat() || d.IsInteger() }
	if !numeric(t.DType()) || !(numeric(dt) || dt == tensor.Bool) {
		return nil, fmt.Errorf("holds %v, the input is %v", t.DType(), dt)
	}
	out := tensor.New(dt, t.Shape()...)
	src, dst := reflect.ValueOf(t.Data()), reflect.ValueOf(out.Data())
	for i := range src.Len() {
		setElem(dst.Index(i), dt, elemFloat(src.Index(i), t.DType()))
	}
	return out, nil
}

func elemFloat(v reflect.Value, dt tensor.DType) float64 {
	switch {
	case dt == tensor.Float16:
		return float64(tensor.Float16ToFloat32(uint16(v.Uint())))
	case v.CanFloat():
		return v.Float()
	case v.CanInt():
		return float64(v.Int())
	default:
		return float64(v.Uint())
	}
}

func setElem(v reflect.Value, dt tensor.DType, f float64) {
	switch {
	case dt == tensor.Float16:
		v.SetUint(uint64(tensor.Float32ToFloat16(float32(f))))
	case dt == tensor.Bool:
		v.SetBool(f != 0)
	case v.CanFloat():
		v.SetFloat(f)
	case v.CanInt():
		v.SetInt(int64(f))
	default:
		v.SetUint(uint64(f))
	}
}

// decodeValues checks that every given value names an input and decodes
// the files, each as its input's type; image(name) preprocesses an image
// for input name.
func decodeValues(infos []engine.TensorInfo, values map[string]Value, image func(name string, data []byte) (*tensor.Tensor, error)) (map[string]*tensor.Tensor, error) {
	files := map[string]*tensor.Tensor{}
	for _, name := range slices.Sorted(maps.Keys(values)) { // the same error every time
		v := values[name]
		i := slices.IndexFunc(infos, func(in engine.TensorInfo) bool { return in.Name == name })
		if i < 0 {
			names := make([]string, len(infos))
			for j, in := range infos {
				names[j] = in.Name
			}
			return nil, fmt.Errorf("--input %s: the model has no such input (inputs: %s)", name, strings.Join(names, ", "))
		}
		t, err := v.decode(infos[i].DType, func(b []byte) (*tensor.Tensor, error) { return image(name, b) })
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", name, err)
		}
		if t != nil {
			files[name] = t
		}
	}
	return files, nil
}

// makeInputs returns the inputs of one batch size: the given values
// fitted to their shapes, random data for the rest.
func makeInputs(infos []engine.TensorInfo, decl map[string][]onnx.Dim, batch int, cfg Config, files map[string]*tensor.Tensor) (map[string]*tensor.Tensor, map[string][]int, error) {
	dims := maps.Clone(cfg.Dims)
	if dims == nil {
		dims = map[string]int{}
	}
	fileDims(infos, files, dims)
	infos = slices.Clone(infos)
	for i, info := range infos {
		if t := files[info.Name]; t != nil && info.Shape == nil {
			infos[i].Shape = t.Shape() // undeclared: the file's shape, as is
		}
	}
	shapes, err := inputShapes(infos, decl, batch, dims)
	if err != nil {
		return nil, nil, err
	}
	in, err := randomInputs(infos, shapes, cfg.Seed+uint64(batch))
	if err != nil {
		return nil, nil, err
	}
	for _, info := range infos {
		v, ok := cfg.Values[info.Name]
		if !ok {
			continue
		}
		if in[info.Name], err = fitValue(info.Name, info.DType, shapes[info.Name], v, files[info.Name]); err != nil {
			return nil, nil, err
		}
	}
	return in, shapes, nil
}

// imageDecoder returns how to preprocess an image for an input of the
// model at path: as its config.yaml says, found in the repository layout
// NAME/config.yaml beside NAME/VERSION/model.onnx.
func imageDecoder(path string, s engine.Session) func(name string, data []byte) (*tensor.Tensor, error) {
	return func(name string, data []byte) (*tensor.Tensor, error) {
		dir := filepath.Dir(filepath.Dir(path))
		cfg, err := model.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("an image needs the model's config.yaml with image preprocessing (perf looks in %s, as in a repository NAME/VERSION/model.onnx): %w", dir, err)
		}
		c := codec.New(filepath.Base(dir), cfg, s.Inputs(), s.Outputs())
		if c.AcceptsImages() && c.ImageInput() != name {
			return nil, fmt.Errorf("%s/config.yaml preprocesses images for input %q, not %q", dir, c.ImageInput(), name)
		}
		return c.ImagesTensor([][]byte{data}, nil, nil)
	}
}

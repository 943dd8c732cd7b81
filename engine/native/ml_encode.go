package native

import (
	"fmt"
	"math"

	"github.com/inferd/inferd/tensor"
)

// The ONNX-ML encoders: OneHotEncoder, LabelEncoder (version 1 over
// classes_strings, version 2 over keys and values of strings, int64s or
// floats) and CategoryMapper.

func init() {
	registerML("OneHotEncoder", 1, buildOneHotEncoder)
	registerDef(mlDomain, "LabelEncoder", opDef{minVersion: 1, maxVersion: 1, build: buildLabelEncoderV1})
	registerML("LabelEncoder", 2, buildLabelEncoderV2)
	registerML("CategoryMapper", 1, buildCategoryMapper)
}

func buildOneHotEncoder(b *buildCtx) (kernel, error) {
	ints, err := b.intsAttr("cats_int64s")
	if err != nil {
		return nil, err
	}
	strs, err := b.stringsAttr("cats_strings")
	if err != nil {
		return nil, err
	}
	if (len(ints) == 0) == (len(strs) == 0) {
		return nil, b.errorf("exactly one of cats_int64s and cats_strings is required")
	}
	zeros, err := b.boolAttr("zeros", true)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, v := range ints {
		index[fmt.Sprint(v)] = i
	}
	for i, s := range strs {
		index[s] = i
	}
	cats := len(index)
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		x := in[0]
		var keys []string
		if x.DType() == tensor.String {
			if len(strs) == 0 {
				return fmt.Errorf("OneHotEncoder has int64 categories for a string input")
			}
			keys = tensor.Data[string](x)
		} else {
			v, err := toFloat64s(x)
			if err != nil {
				return fmt.Errorf("OneHotEncoder: %w", err)
			}
			keys = make([]string, len(v))
			for i, e := range v {
				keys[i] = fmt.Sprint(int64(e))
			}
		}
		y := rc.alloc(tensor.Float32, append(append([]int(nil), x.Shape()...), cats))
		yd := tensor.Data[float32](y)
		clear(yd)
		for i, k := range keys {
			j, ok := index[k]
			if !ok {
				if !zeros {
					return fmt.Errorf("OneHotEncoder: unknown category %q", k)
				}
				continue
			}
			yd[i*cats+j] = 1
		}
		out[0] = y
		return nil
	}), nil
}

// mapping is a lookup from keys of one kind to values of another, with a
// default; keys and values are strings, int64s or floats.
type mapping struct {
	keyType, valType tensor.DType
	lookup           map[any]any
	def              any
}

func (m *mapping) run(rc *runCtx, in, out []*tensor.Tensor) error {
	x := in[0]
	if x.DType() != m.keyType && !(m.keyType == tensor.Int64 && x.DType().IsInteger()) {
		return fmt.Errorf("input of type %v, the mapping's keys are %v", x.DType(), m.keyType)
	}
	y := tensor.New(m.valType, x.Shape()...)
	get := func(k any) any {
		if v, ok := m.lookup[k]; ok {
			return v
		}
		return m.def
	}
	var keys []any
	switch d := x.Data().(type) {
	case []string:
		for _, k := range d {
			keys = append(keys, k)
		}
	case []float32:
		for _, k := range d {
			keys = append(keys, floatKey(float64(k)))
		}
	default:
		v, err := int64sOf(x)
		if err != nil {
			return err
		}
		for _, k := range v {
			keys = append(keys, k)
		}
	}
	switch yd := y.Data().(type) {
	case []string:
		for i, k := range keys {
			yd[i] = get(k).(string)
		}
	case []int64:
		for i, k := range keys {
			yd[i] = get(k).(int64)
		}
	case []float32:
		for i, k := range keys {
			yd[i] = float32(get(k).(float64))
		}
	}
	out[0] = y
	return nil
}

// floatKey normalises float keys (all NaNs alike).
func floatKey(f float64) any {
	if math.IsNaN(f) {
		return "NaN"
	}
	return f
}

func buildLabelEncoderV1(b *buildCtx) (kernel, error) {
	classes, err := b.stringsAttr("classes_strings")
	if err != nil {
		return nil, err
	}
	defInt, err := b.intAttr("default_int64", -1)
	if err != nil {
		return nil, err
	}
	defStr, err := b.stringAttr("default_string", "_Unused")
	if err != nil {
		return nil, err
	}
	toInt := &mapping{keyType: tensor.String, valType: tensor.Int64, lookup: map[any]any{}, def: defInt}
	toStr := &mapping{keyType: tensor.Int64, valType: tensor.String, lookup: map[any]any{}, def: defStr}
	for i, c := range classes {
		toInt.lookup[c] = int64(i)
		toStr.lookup[int64(i)] = c
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		if in[0].DType() == tensor.String {
			return toInt.run(rc, in, out)
		}
		return toStr.run(rc, in, out)
	}), nil
}

func buildLabelEncoderV2(b *buildCtx) (kernel, error) {
	m := &mapping{lookup: map[any]any{}}
	var keys, vals []any
	var err error
	if keys, m.keyType, err = encoderList(b, "keys"); err != nil {
		return nil, err
	}
	if vals, m.valType, err = encoderList(b, "values"); err != nil {
		return nil, err
	}
	if len(keys) != len(vals) {
		return nil, b.errorf("%d keys for %d values", len(keys), len(vals))
	}
	for i, k := range keys {
		m.lookup[k] = vals[i]
	}
	switch m.valType {
	case tensor.String:
		m.def, err = b.stringAttr("default_string", "_Unused")
	case tensor.Int64:
		var v int64
		v, err = b.intAttr("default_int64", -1)
		m.def = v
	default:
		var v float32
		v, err = b.floatAttr("default_float", -0)
		m.def = float64(v)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// encoderList reads the one of {prefix}_strings, _int64s and _floats that
// is set.
func encoderList(b *buildCtx, prefix string) ([]any, tensor.DType, error) {
	var out []any
	var dt tensor.DType
	set := 0
	if s, err := b.stringsAttr(prefix + "_strings"); err != nil {
		return nil, 0, err
	} else if s != nil {
		set++
		dt = tensor.String
		for _, v := range s {
			out = append(out, v)
		}
	}
	if s, err := b.intsAttr(prefix + "_int64s"); err != nil {
		return nil, 0, err
	} else if s != nil {
		set++
		dt = tensor.Int64
		for _, v := range s {
			out = append(out, v)
		}
	}
	if s, err := b.floatsAttr(prefix + "_floats"); err != nil {
		return nil, 0, err
	} else if s != nil {
		set++
		dt = tensor.Float32
		for _, v := range s {
			out = append(out, floatKey(float64(v)))
		}
	}
	if set != 1 {
		return nil, 0, b.errorf("exactly one of %s_strings, %s_int64s and %s_floats is required", prefix, prefix, prefix)
	}
	if dt == tensor.Float32 && prefix == "values" {
		for i, v := range out {
			if f, ok := v.(float64); ok {
				out[i] = f
			} else {
				out[i] = math.NaN()
			}
		}
	}
	return out, dt, nil
}

func buildCategoryMapper(b *buildCtx) (kernel, error) {
	ints, err := b.intsAttr("cats_int64s")
	if err != nil {
		return nil, err
	}
	strs, err := b.stringsAttr("cats_strings")
	if err != nil {
		return nil, err
	}
	if len(ints) != len(strs) {
		return nil, b.errorf("cats_int64s and cats_strings differ in length")
	}
	defInt, err := b.intAttr("default_int64", -1)
	if err != nil {
		return nil, err
	}
	defStr, err := b.stringAttr("default_string", "_Unused")
	if err != nil {
		return nil, err
	}
	toInt := &mapping{keyType: tensor.String, valType: tensor.Int64, lookup: map[any]any{}, def: defInt}
	toStr := &mapping{keyType: tensor.Int64, valType: tensor.String, lookup: map[any]any{}, def: defStr}
	for i := range ints {
		toInt.lookup[strs[i]] = ints[i]
		toStr.lookup[ints[i]] = strs[i]
	}
	return kernelFunc(func(rc *runCtx, in, out []*tensor.Tensor) error {
		if in[0].DType() == tensor.String {
			return toInt.run(rc, in, out)
		}
		return toStr.run(rc, in, out)
	}), nil
}

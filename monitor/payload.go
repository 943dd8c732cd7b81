package monitor

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/inferd/inferd/serving/runner"
	"github.com/inferd/inferd/tensor"
)

// Payload is a record's tensors by name in a compact binary form (what the
// stores keep): cheap to write on the capture path, rendered as JSON
// (Tensor objects) when a record is marshalled.
//
// Layout: uvarint count; then per tensor, in name order: name, dtype
// (uvarint length and bytes each), a redacted byte, uvarint rank and
// dims, then (unless redacted) the elements: little-endian fixed-size
// values, or for strings a uvarint length and the bytes of each.
type Payload []byte

// EncodePayload encodes ts, leaving out the data of the names in redact.
func EncodePayload(ts map[string]*tensor.Tensor, redact map[string]bool) Payload {
	return appendPayload(make([]byte, 0, payloadSize(ts, nil)), ts, redact, nil)
}

// payloadSize bounds what appendPayload appends for ts and e.
func payloadSize(ts map[string]*tensor.Tensor, e *runner.Encoded) int {
	size := 16
	for n, t := range ts {
		size += len(n) + 32 + t.Bytes()
	}
	if e != nil {
		size += len(e.Input) + 32
		for i := range e.Len() {
			size += binary.MaxVarintLen32 + imageLen(e, i)
		}
	}
	return size
}

// appendPayload appends the encoding of ts to buf. When e is not nil, the
// input it names (which ts need not hold) is written as e's encoded
// images, a BYTES tensor of shape [N], instead of the tensor decoded from
// them.
func appendPayload(buf []byte, ts map[string]*tensor.Tensor, redact map[string]bool, e *runner.Encoded) []byte {
	names := sortedNames(ts)
	if e != nil && ts[e.Input] == nil {
		names = append(names, e.Input)
		sort.Strings(names)
	}
	buf = binary.AppendUvarint(buf, uint64(len(names)))
	for _, n := range names {
		if e != nil && n == e.Input {
			buf = appendEncoded(buf, n, e, redact[n])
			continue
		}
		t := ts[n]
		buf = appendHead(buf, n, t.DType().String(), redact[n], t.Shape())
		if redact[n] {
			continue
		}
		if s, ok := t.Data().([]string); ok {
			for _, v := range s {
				buf = appendString(buf, v)
			}
			continue
		}
		buf, _ = binary.Append(buf, binary.LittleEndian, t.Data()) // fixed-size values: cannot fail
	}
	return buf
}

// appendHead appends an entry's name, dtype, redacted flag and shape.
func appendHead(buf []byte, name, dtype string, redacted bool, shape []int) []byte {
	buf = appendString(buf, name)
	buf = appendString(buf, dtype)
	buf = append(buf, b2byte(redacted))
	buf = binary.AppendUvarint(buf, uint64(len(shape)))
	for _, d := range shape {
		buf = binary.AppendUvarint(buf, uint64(d))
	}
	return buf
}

// appendEncoded appends e's images as a BYTES entry of shape [N].
func appendEncoded(buf []byte, name string, e *runner.Encoded, redacted bool) []byte {
	buf = appendHead(buf, name, tensor.String.String(), redacted, []int{e.Len()})
	if redacted {
		return buf
	}
	for i := range e.Len() {
		buf = binary.AppendUvarint(buf, uint64(imageLen(e, i)))
		buf = e.AppendImage(buf, i)
	}
	return buf
}

func imageLen(e *runner.Encoded, i int) int {
	if e.Images != nil {
		return len(e.Images[i])
	}
	return len(e.Strings[i])
}

func sortedNames(ts map[string]*tensor.Tensor) []string {
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func appendString(buf []byte, s string) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
}

func b2byte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// entry is one decoded tensor; t is nil when it was redacted.
type entry struct {
	name  string
	dtype string
	shape []int
	t     *tensor.Tensor
}

var errPayload = errors.New("captured tensors: corrupt payload")

// entries decodes the payload.
func (p Payload) entries() ([]entry, error) {
	r := reader{b: p}
	n := r.uvarint()
	if n > uint64(len(p)) {
		return nil, errPayload
	}
	out := make([]entry, 0, n)
	for range n {
		e := entry{name: r.string(), dtype: r.string()}
		redacted := r.byte() == 1
		rank := r.uvarint()
		if rank > 64 || r.err != nil {
			return nil, errPayload
		}
		for range rank {
			e.shape = append(e.shape, int(r.uvarint()))
		}
		if err := tensor.CheckShape(e.shape); err != nil || r.err != nil {
			return nil, errPayload
		}
		if !redacted {
			t, err := r.tensor(e.dtype, e.shape)
			if err != nil {
				return nil, err
			}
			e.t = t
		}
		out = append(out, e)
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errPayload
	}
	return out, nil
}

// Tensors decodes the payload's tensors; redacted ones are left out.
func (p Payload) Tensors() (map[string]*tensor.Tensor, error) {
	es, err := p.entries()
	if err != nil {
		return nil, err
	}
	out := make(map[string]*tensor.Tensor, len(es))
	for _, e := range es {
		if e.t != nil {
			out[e.name] = e.t
		}
	}
	return out, nil
}

// MarshalJSON renders the payload as a JSON object of Tensors.
func (p Payload) MarshalJSON() ([]byte, error) {
	es, err := p.entries()
	if err != nil {
		return nil, err
	}
	buf := []byte{'{'}
	for i, e := range es {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf, _ = appendJSONString(buf, e.name)
		buf = fmt.Appendf(buf, `:{"datatype":%q,"shape":`, e.dtype)
		shape, _ := json.Marshal(e.shape)
		buf = append(buf, shape...)
		if e.t == nil {
			buf = append(buf, `,"redacted":true}`...)
			continue
		}
		buf = append(buf, `,"data":`...)
		if strs, ok := e.t.Data().([]string); ok {
			buf = appendStringsJSON(buf, strs, e.shape)
		} else {
			buf = tensor.AppendJSON(buf, e.t)
		}
		buf = append(buf, '}')
	}
	return append(buf, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Payload) UnmarshalJSON(b []byte) error {
	var ts map[string]Tensor
	if err := json.Unmarshal(b, &ts); err != nil {
		return fmt.Errorf("captured tensors: %w", err)
	}
	all := map[string]*tensor.Tensor{}
	redact := map[string]bool{}
	for name, t := range ts {
		dt, err := tensor.ParseDType(t.Datatype)
		if err != nil {
			return fmt.Errorf("captured tensor %q: %w", name, err)
		}
		if t.Redacted {
			all[name], redact[name] = tensor.New(dt, t.Shape...), true
			continue
		}
		var v *tensor.Tensor
		if dt == tensor.String {
			v, err = tensor.StringsFromJSON(t.Data, stringOrB64)
		} else {
			v, err = tensor.FromJSON(t.Data, dt)
		}
		if err == nil {
			v, err = v.Reshape(t.Shape...)
		}
		if err != nil {
			return fmt.Errorf("captured tensor %q: %w", name, err)
		}
		all[name] = v
	}
	*p = EncodePayload(all, redact)
	return nil
}

// appendStringsJSON appends BYTES elements as nested arrays of shape:
// each a JSON string when it is valid UTF-8, else {"b64": "…"} (encoded
// images), as inferd's JSON protocols accept them.
func appendStringsJSON(buf []byte, strs []string, shape []int) []byte {
	if len(shape) == 0 {
		if len(strs) == 0 {
			return append(buf, "null"...)
		}
		if utf8.ValidString(strs[0]) {
			b, _ := appendJSONString(buf, strs[0])
			return b
		}
		buf = append(buf, `{"b64":"`...)
		buf = base64.StdEncoding.AppendEncode(buf, []byte(strs[0]))
		return append(buf, `"}`...)
	}
	per := tensor.NumElements(shape[1:])
	buf = append(buf, '[')
	for i := range shape[0] {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendStringsJSON(buf, strs[i*per:(i+1)*per], shape[1:])
	}
	return append(buf, ']')
}

// stringOrB64 is a BYTES element of appendStringsJSON's form.
func stringOrB64(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		if s, ok := x["b64"].(string); ok && len(x) == 1 {
			b, err := base64.StdEncoding.DecodeString(s)
			return string(b), err
		}
	}
	return "", errors.New(`a BYTES element must be a string or {"b64": "…"}`)
}

// reader decodes a payload, keeping the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errPayload, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.err, r.b = errPayload, nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string { return string(r.bytes(r.uvarint())) }

func (r *reader) byte() byte {
	b := r.bytes(1)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// tensor reads the elements of a tensor of dtype and shape.
func (r *reader) tensor(dtype string, shape []int) (*tensor.Tensor, error) {
	dt, err := tensor.ParseDType(dtype)
	if err != nil {
		return nil, errPayload
	}
	n := tensor.NumElements(shape)
	if dt == tensor.String {
		if uint64(n) > uint64(len(r.b)) {
			return nil, errPayload
		}
		vals := make([]string, n)
		for i := range vals {
			vals[i] = r.string()
		}
		t, err := tensor.FromSlice(vals, shape...)
		if err != nil || r.err != nil {
			return nil, errPayload
		}
		return t, nil
	}
	raw := r.bytes(uint64(n) * uint64(dt.Size()))
	if r.err != nil {
		return nil, errPayload
	}
	t := tensor.New(dt, shape...)
	if _, err := binary.Decode(raw, binary.LittleEndian, t.Data()); err != nil {
		return nil, errPayload
	}
	return t, nil
}

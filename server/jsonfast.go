package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/inferd/inferd/internal/jsonnum"
)

// The seed route's tensor request, {"inputs": {"<name>": <value>, ...}},
// is read whole and split by a direct scanner (fastInputs), which takes
// only plain, valid bodies; every other body, and every body whose read
// failed, goes through decodeJSON as before, so errors and odd inputs
// decode exactly as they did.

// maxFastJSONDepth is the deepest nesting fastInputs takes (encoding/json
// refuses past 10000).
const maxFastJSONDepth = 1000

// decodeTensorRequest reads a seed tensor request's body (of declared
// length size, or -1) and returns its inputs by name. The values alias
// the body.
func decodeTensorRequest(body io.Reader, size int64) (map[string]json.RawMessage, error) {
	data, rerr := readAllSized(body, size)
	if rerr == nil {
		if inputs, ok := fastInputs(data); ok {
			return inputs, nil
		}
	}
	// The streaming decoder, given the bytes read and then the read's
	// error, does what it did on the body itself: it only reads on when
	// the bytes it has do not settle the answer.
	var src io.Reader = bytes.NewReader(data)
	if rerr != nil {
		src = io.MultiReader(src, errReader{rerr})
	}
	var req tensorRequest
	if err := decodeJSON(src, &req, false, ""); err != nil {
		return nil, err
	}
	return req.Inputs, nil
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// readAllSized reads r to its end into a buffer of size bytes (growing it
// past that), returning what it read before an error along with it.
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, 0, max(size, 511)+1) // +1: the end is found without growing
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// jsonScanner walks a JSON text for fastInputs.
type jsonScanner struct {
	b []byte
	i int
}

// fastInputs splits a body that is exactly {"inputs": {...}} (white space
// aside) with plain input names (ASCII without escapes, each once) and
// valid JSON values; ok is false for anything else.
func fastInputs(b []byte) (inputs map[string]json.RawMessage, ok bool) {
	s := &jsonScanner{b: b}
	if !s.next('{') || !s.key("inputs") || !s.next(':') || !s.next('{') {
		return nil, false
	}
	inputs = make(map[string]json.RawMessage, 1)
	if !s.next('}') {
		for {
			name, ok := s.plainString()
			if !ok || !s.next(':') {
				return nil, false
			}
			if _, dup := inputs[name]; dup {
				return nil, false
			}
			s.ws()
			start := s.i
			if !s.value(0) {
				return nil, false
			}
			inputs[name] = b[start:s.i:s.i]
			if s.next('}') {
				break
			}
			if !s.next(',') {
				return nil, false
			}
		}
	}
	if !s.next('}') {
		return nil, false
	}
	s.ws()
	return inputs, s.i == len(b)
}

// ws skips white space.
func (s *jsonScanner) ws() {
	s.i = jsonnum.SkipSpace(s.b, s.i)
}

// next consumes c after white space, if it is there.
func (s *jsonScanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// key consumes the plain string k after white space.
func (s *jsonScanner) key(k string) bool {
	name, ok := s.plainString()
	return ok && name == k
}

// plainString consumes a string of printable ASCII without escapes,
// after white space.
func (s *jsonScanner) plainString() (string, bool) {
	if !s.next('"') {
		return "", false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return string(s.b[start : s.i-1]), true
		case c < 0x20 || c >= 0x80 || c == '\\':
			return "", false
		}
	}
	return "", false
}

// value consumes one JSON value (no leading white space), checking it as
// encoding/json's scanner does.
func (s *jsonScanner) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxFastJSONDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		return s.str()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number()
	}
	return false
}

func (s *jsonScanner) object(depth int) bool {
	s.i++ // {
	if s.next('}') {
		return true
	}
	for {
		s.ws()
		if !s.str() || !s.next(':') {
			return false
		}
		s.ws()
		if !s.value(depth + 1) {
			return false
		}
		if s.next('}') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

func (s *jsonScanner) array(depth int) bool {
	s.i++ // [
	if s.next(']') {
		return true
	}
	for {
		s.ws()
		if !s.value(depth + 1) {
			return false
		}
		if s.next(']') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// str consumes a string: no control characters, valid escapes (other
// bytes, even invalid UTF-8, encoding/json's scanner lets through).
func (s *jsonScanner) str() bool {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return false
	}
	for s.i++; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if !s.escape() {
				return false
			}
		}
	}
	return false
}

// escape checks the escape at s.i and leaves s.i on its last byte.
func (s *jsonScanner) escape() bool {
	if s.i+1 >= len(s.b) {
		return false
	}
	s.i++
	switch s.b[s.i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	case 'u':
		if s.i+4 >= len(s.b) {
			return false
		}
		for _, h := range s.b[s.i+1 : s.i+5] {
			if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
				return false
			}
		}
		s.i += 4
		return true
	}
	return false
}

func (s *jsonScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

// number consumes a JSON number: the longest run of number bytes, which
// must be one.
func (s *jsonScanner) number() bool {
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case '0' <= c && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			s.i++
			continue
		}
		break
	}
	return jsonnum.Valid(s.b[start:s.i])
}

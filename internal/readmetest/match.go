package readmetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Ellipsis in an answer stands for any text.
const Ellipsis = "..."

// Match checks a command's output got against the README's answer want
// (see the package documentation for the rules); text says want is a
// "# => " text answer.
func Match(want, got string, text bool) error {
	got = strings.TrimSpace(got)
	if text {
		return glob(want, strings.Join(strings.Fields(got), " "))
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(got)); err != nil {
		return fmt.Errorf("the output is not JSON (%v)", err)
	}
	if strings.Contains(want, Ellipsis) {
		return glob(want, compact.String())
	}
	w, err := decode(want)
	if err != nil {
		return fmt.Errorf("the README's answer is not JSON: %v", err)
	}
	g, err := decode(got)
	if err != nil {
		return err
	}
	return equal(w, g, "")
}

// glob matches s against pattern, where Ellipsis matches any text.
func glob(pattern, s string) error {
	segs := strings.Split(pattern, Ellipsis)
	if len(segs) == 1 {
		if pattern != s {
			return fmt.Errorf("the output differs")
		}
		return nil
	}
	first, last := segs[0], segs[len(segs)-1]
	if !strings.HasPrefix(s, first) {
		return fmt.Errorf("the output does not start with %q", first)
	}
	rest := s[len(first):]
	for _, seg := range segs[1 : len(segs)-1] {
		i := strings.Index(rest, seg)
		if i < 0 {
			return fmt.Errorf("the output lacks %q where the answer has it", seg)
		}
		rest = rest[i+len(seg):]
	}
	if !strings.HasSuffix(rest, last) {
		return fmt.Errorf("the output does not end with %q", last)
	}
	return nil
}

func decode(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// equal compares JSON values; numbers to the precision want writes them.
func equal(want, got any, path string) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("at %s: got %v, want an object", where(path), got)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Errorf("at %s: the output has %q, the README does not", where(path), k)
			}
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("at %s: the output lacks %q", where(path), k)
			}
			if err := equal(wv, gv, path+"."+k); err != nil {
				return err
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("at %s: got %v, want %d elements", where(path), got, len(w))
		}
		for i := range w {
			if err := equal(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case json.Number:
		g, ok := got.(json.Number)
		if !ok || !closeTo(string(w), string(g)) {
			return fmt.Errorf("at %s: got %v, want %s (to the precision written)", where(path), got, w)
		}
	default: // string, bool, nil
		if want != got {
			return fmt.Errorf("at %s: got %#v, want %#v", where(path), got, want)
		}
	}
	return nil
}

func where(path string) string {
	if path == "" {
		return "the top"
	}
	return path
}

// closeTo reports whether got rounds to the number written as want: they
// differ by at most half of want's last digit.
func closeTo(want, got string) bool {
	w, err1 := strconv.ParseFloat(want, 64)
	g, err2 := strconv.ParseFloat(got, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	mantissa, exp := strings.ToLower(want), 0
	if i := strings.IndexByte(mantissa, 'e'); i >= 0 {
		exp, _ = strconv.Atoi(mantissa[i+1:])
		mantissa = mantissa[:i]
	}
	decimals := 0
	if i := strings.IndexByte(mantissa, '.'); i >= 0 {
		decimals = len(mantissa) - i - 1
	}
	half := 0.5 * math.Pow(10, float64(exp-decimals))
	return math.Abs(g-w) <= half*(1+1e-9)
}

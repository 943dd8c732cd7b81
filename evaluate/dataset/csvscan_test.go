package dataset

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The scanner cuts records as encoding/csv does, quoted ones included,
// and says on which line each starts.
func TestCSVScannerAgreesWithEncodingCSV(t *testing.T) {
	text := "a,b,c\r\n1,2,3\n\n\"x,y\",\"multi\nline\",\"q\"\"q\"\n 4 , 5,6\r\nlast,,\n"
	want, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	s := newCSVScanner(strings.NewReader(text))
	var lines []int
	for i := 0; ; i++ {
		rec, line, err := s.next()
		if err != nil {
			if i != len(want) {
				t.Fatalf("record %d: %v", i, err)
			}
			break
		}
		lines = append(lines, line)
		got := make([]string, len(rec))
		for j, f := range rec {
			got[j] = string(f)
		}
		if strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d: %q, encoding/csv %q", i, got, want[i])
		}
	}
	if fmt.Sprint(lines) != "[1 2 4 6 7]" {
		t.Errorf("lines %v", lines)
	}
}

// parseFloat gives exactly strconv.ParseFloat's value.
func TestParseFloatExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []string{"0", "-0", "1.", ".5", "+3", "0.0625", "93.49908447265625", "1e22", "1e23", "123456789012345678901",
		"9007199254740993", "4.9e-324", "1.7976931348623157e308", "NaN", "-Inf", "1e", "1.2.3", "", "-", "0x10", " 7 "}
	for range 20000 {
		v := math.Float64frombits(r.Uint64())
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		cases = append(cases, strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(float64(float32(r.NormFloat64())), 'f', -1, 64),
			strconv.FormatFloat(r.Float64()*1000, 'f', r.IntN(8), 64))
	}
	for _, c := range cases {
		got, err := parseFloat([]byte(c))
		want, werr := strconv.ParseFloat(strings.TrimSpace(c), 64)
		if (err == nil) != (werr == nil) || (err == nil && math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want))) {
			t.Fatalf("%q: %v (%v), strconv %v (%v)", c, got, err, want, werr)
		}
		if v, n, ok := scanFloat([]byte(c)); ok && n == len(c) && (werr != nil || math.Float64bits(v) != math.Float64bits(want)) {
			t.Fatalf("scanFloat %q: %v, strconv %v (%v)", c, v, want, werr)
		}
	}
}

func BenchmarkCSVDigits(b *testing.B) {
	spec := Spec{Path: "../../examples/evaluation/digits-test.csv"}
	row := &Row{}
	for b.Loop() {
		r, err := Open(spec)
		if err != nil {
			b.Fatal(err)
		}
		for r.(*csvReader).NextInto(row) == nil {
		}
		r.Close()
	}
	b.ReportMetric(float64(360*b.N)/b.Elapsed().Seconds(), "rows/s")
}

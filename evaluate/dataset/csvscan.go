package dataset

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
)

// csvScanner splits a CSV file into records without copying: a record
// without quotes (the common case of numeric tables) is cut at its commas
// in the read buffer; a record with quotes, which may span lines, is
// gathered and handed to encoding/csv, so quoting follows RFC 4180 and
// errors are encoding/csv's. Blank lines are skipped, as encoding/csv
// does, and a trailing \r is dropped.
type csvScanner struct {
	br     *bufio.Reader
	line   int      // lines consumed
	long   []byte   // a line longer than the read buffer
	rec    []byte   // a quoted record
	fields [][]byte // the last record's fields
}

// errLongLine is a line longer than maxLine.
var errLongLine = errors.New("line too long")

func newCSVScanner(r io.Reader) *csvScanner {
	return &csvScanner{br: bufio.NewReaderSize(r, 256<<10)}
}

// readLine returns the next line without its line ending; it is valid
// until the next call. io.EOF when there is none.
func (s *csvScanner) readLine() ([]byte, error) {
	b, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.long = append(s.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(s.long) > maxLine {
				return nil, errLongLine
			}
			b, err = s.br.ReadSlice('\n')
			s.long = append(s.long, b...)
		}
		b = s.long
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(b) == 0 && errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	s.line++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'}), nil
}

// next returns the next record's fields and the line it starts on.
func (s *csvScanner) next() ([][]byte, int, error) {
	line, start, err := s.nextLine()
	if err != nil {
		return nil, start, err
	}
	if bytes.IndexByte(line, '"') < 0 {
		s.fields = s.fields[:0]
		for {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				s.fields = append(s.fields, line)
				return s.fields, start, nil
			}
			s.fields = append(s.fields, line[:i])
			line = line[i+1:]
		}
	}
	return s.quoted(line, start)
}

// nextLine returns the next non-blank line and its number.
func (s *csvScanner) nextLine() ([]byte, int, error) {
	for {
		line, err := s.readLine()
		if err != nil {
			return nil, s.line + 1, err
		}
		if len(line) > 0 {
			return line, s.line, nil
		}
	}
}

// quoted gathers a record with quotes until its quotes balance and parses
// it with encoding/csv.
func (s *csvScanner) quoted(line []byte, start int) ([][]byte, int, error) {
	s.rec = append(s.rec[:0], line...)
	for bytes.Count(s.rec, []byte{'"'})%2 == 1 {
		more, err := s.readLine()
		if errors.Is(err, io.EOF) {
			break // encoding/csv reports the open quote
		}
		if err != nil {
			return nil, start, err
		}
		s.rec = append(append(s.rec, '\n'), more...)
	}
	r := csv.NewReader(bytes.NewReader(s.rec))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, start + pe.Line - 1, pe.Err
		}
		return nil, start, err
	}
	s.fields = s.fields[:0]
	for _, f := range rec {
		s.fields = append(s.fields, []byte(f))
	}
	return s.fields, start, nil
}

// pow10 are the powers of ten that float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat parses a decimal number such as -12.5 or 3e-4 exactly:
// when its digits fit in 2^53 and its power of ten is at most 22, one
// correctly rounded multiplication or division gives the nearest float64
// (Clinger's fast path); anything else goes to strconv.ParseFloat.
func parseFloat(b []byte) (float64, error) {
	b = bytes.TrimSpace(b)
	i, neg := 0, false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg, i = b[i] == '-', i+1
	}
	var mant uint64
	digits, exp := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		mant, digits = mant*10+uint64(b[i]-'0'), digits+1
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			mant, digits, exp = mant*10+uint64(b[i]-'0'), digits+1, exp-1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') && digits > 0 {
		e, err := strconv.Atoi(string(b[i+1:]))
		if err != nil || e < -400 || e > 400 {
			return strconv.ParseFloat(string(b), 64)
		}
		exp, i = exp+e, len(b)
	}
	if i != len(b) || digits == 0 || digits > 19 || mant > 1<<53 || exp < -22 || exp > 22 {
		return strconv.ParseFloat(string(b), 64)
	}
	f := float64(mant)
	if exp < 0 {
		f /= pow10[-exp]
	} else {
		f *= pow10[exp]
	}
	if neg {
		f = -f
	}
	return f, nil
}

// scanFloat reads a plain decimal number (digits, an optional sign and
// point, no exponent) at the start of b in one pass: its value, its
// length, and whether Clinger's fast path gave it exactly; ok is false
// for anything else, which parseFloat then reads.
func scanFloat(b []byte) (v float64, n int, ok bool) {
	neg := n < len(b) && b[n] == '-'
	if neg || n < len(b) && b[n] == '+' {
		n++
	}
	var mant uint64
	digits, exp := 0, 0
	for ; n < len(b) && b[n]-'0' <= 9; n++ {
		mant, digits = mant*10+uint64(b[n]-'0'), digits+1
	}
	if n < len(b) && b[n] == '.' {
		for n++; n < len(b) && b[n]-'0' <= 9; n++ {
			mant, digits, exp = mant*10+uint64(b[n]-'0'), digits+1, exp-1
		}
	}
	if digits == 0 || digits > 19 || mant > 1<<53 || exp < -22 {
		return 0, n, false
	}
	v = float64(mant) / pow10[-exp]
	if neg {
		v = -v
	}
	return v, n, true
}

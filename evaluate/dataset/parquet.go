package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// parquetReader reads a Parquet file one row group at a time, a few rows
// at a time. Columns are the top-level fields: a scalar, or a list of
// numbers (a feature vector).
type parquetReader struct {
	closer
	file   string
	pf     *parquet.File
	cols   []string
	leaf   []int // leaf column index → top-level column
	roles  *roles
	group  int
	rows   parquet.Rows
	buf    []parquet.Row
	n, at  int
	line   int
	values [][]parquet.Value
}

func openParquet(spec Spec) (Reader, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dataset: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, dataErr(spec.Path, 0, "not a readable Parquet file: %v", err)
	}
	p := &parquetReader{closer: closer{f}, file: spec.Path, pf: pf, buf: make([]parquet.Row, 64)}
	index := map[string]int{}
	for _, path := range pf.Schema().Columns() {
		if len(path) > 1 && path[len(path)-1] != "element" && path[len(path)-1] != "item" {
			f.Close()
			return nil, dataErr(spec.Path, 0, "column %v is a nested structure: only scalars and lists of numbers are read", path)
		}
		i, ok := index[path[0]]
		if !ok {
			i = len(p.cols)
			index[path[0]] = i
			p.cols = append(p.cols, path[0])
		}
		p.leaf = append(p.leaf, i)
	}
	if p.roles, err = resolve(spec, spec.Path, p.cols); err != nil {
		f.Close()
		return nil, err
	}
	p.values = make([][]parquet.Value, len(p.cols))
	return p, nil
}

func (p *parquetReader) Features() []string { return p.roles.featureNames }

func (p *parquetReader) Close() error {
	if p.rows != nil {
		p.rows.Close()
		p.rows = nil
	}
	return p.closer.Close()
}

// next returns the next row of the file.
func (p *parquetReader) next() (parquet.Row, error) {
	for p.at == p.n {
		if p.rows == nil {
			groups := p.pf.RowGroups()
			if p.group >= len(groups) {
				return nil, io.EOF
			}
			p.rows = groups[p.group].Rows()
			p.group++
		}
		n, err := p.rows.ReadRows(p.buf)
		p.n, p.at = n, 0
		if errors.Is(err, io.EOF) {
			p.rows.Close()
			p.rows = nil
		} else if err != nil {
			return nil, dataErr(p.file, p.line+1, "%v", err)
		}
	}
	p.at++
	return p.buf[p.at-1], nil
}

// Next returns the next row; Line counts rows from 1.
func (p *parquetReader) Next() (*Row, error) {
	row, err := p.next()
	if err != nil {
		return nil, err
	}
	p.line++
	for i := range p.values {
		p.values[i] = p.values[i][:0]
	}
	for _, v := range row {
		c := p.leaf[v.Column()]
		if !v.IsNull() {
			p.values[c] = append(p.values[c], v)
		}
	}
	return fill(p.file, p.line, p.cols, p.roles, func(i int) (string, []float64, error) {
		vs := p.values[i]
		switch {
		case len(vs) == 0:
			return "", nil, nil
		case len(vs) == 1 && !p.isList(i):
			return parquetText(vs[0]), nil, nil
		}
		nums := make([]float64, len(vs))
		for j, v := range vs {
			f, err := strconv.ParseFloat(parquetText(v), 64)
			if err != nil {
				return "", nil, fmt.Errorf("list element %q is not a number", parquetText(v))
			}
			nums[j] = f
		}
		return "", nums, nil
	})
}

// isList reports whether top-level column i is a list.
func (p *parquetReader) isList(i int) bool {
	for leaf, c := range p.leaf {
		if c == i {
			return len(p.pf.Schema().Columns()[leaf]) > 1
		}
	}
	return false
}

// parquetText is a value as text: strings as they are, numbers in Go's
// shortest form.
func parquetText(v parquet.Value) string {
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10)
	case parquet.Float:
		return strconv.FormatFloat(float64(v.Float()), 'g', -1, 32)
	case parquet.Double:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	}
	return string(v.ByteArray())
}

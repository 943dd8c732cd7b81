package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/tensor"
	"github.com/parquet-go/parquet-go"
)

// Parquet writes the records q selects (at most limit; 0 for all) to w as
// a Parquet file with one row per request row (a batch of N rows gives N),
// and returns how many rows it wrote. The columns are request_id, model,
// version, row, time (a nanosecond timestamp), latency_ns, client_id,
// prediction and label (the feedback label: a string label as itself,
// another JSON value as its JSON text), then one column per tensor:
// input.NAME and output.NAME, a list of doubles for numbers, the bytes
// for BYTES with one element per row (encoded images, as captured), else
// a list of byte strings. A tensor a record lacks or redacted is null.
// The table reads in pandas or pyarrow as it is; the number columns are
// features for inferd eval (--features input.NAME).
func Parquet(ctx context.Context, s monitor.Store, q monitor.Query, limit int, w io.Writer) (int, error) {
	cols := map[string]columnKind{}
	if _, err := Each(ctx, s, q, limit, func(r monitor.Record) error { return scanColumns(r, cols) }); err != nil {
		return 0, err
	}
	pw := parquet.NewGenericWriter[any](w, parquetSchema(cols))
	rows := 0
	_, err := Each(ctx, s, q, limit, func(r monitor.Record) error {
		out, err := parquetRows(r, cols)
		if err != nil {
			return err
		}
		if _, err := pw.Write(out); err != nil {
			return fmt.Errorf("parquet: %w", err)
		}
		rows += len(out)
		return nil
	})
	if err != nil {
		return rows, err
	}
	if err := pw.Close(); err != nil {
		return rows, fmt.Errorf("parquet: %w", err)
	}
	return rows, nil
}

// columnKind is how a tensor column is stored.
type columnKind int

const (
	numbers columnKind = iota // list of doubles
	blob                      // one byte string per row
	blobs                     // list of byte strings
)

// tensorsOf decodes a record's inputs and outputs as columns.
func tensorsOf(r monitor.Record) (map[string]*tensor.Tensor, error) {
	ins, err := r.Inputs.Tensors()
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", r.ID, err)
	}
	outs, err := r.Outputs.Tensors()
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", r.ID, err)
	}
	all := make(map[string]*tensor.Tensor, len(ins)+len(outs))
	for n, t := range ins {
		all["input."+n] = t
	}
	for n, t := range outs {
		all["output."+n] = t
	}
	return all, nil
}

// scanColumns adds r's tensor columns to cols.
func scanColumns(r monitor.Record, cols map[string]columnKind) error {
	ts, err := tensorsOf(r)
	if err != nil {
		return err
	}
	for name, t := range ts {
		kind := numbers
		if t.DType() == tensor.String {
			kind = blob
			if t.Rank() != 1 {
				kind = blobs
			}
		}
		if old, ok := cols[name]; !ok || old < kind {
			cols[name] = kind
		}
	}
	return nil
}

var fixedColumns = parquet.Group{
	"request_id": parquet.String(),
	"model":      parquet.String(),
	"version":    parquet.Int(64),
	"row":        parquet.Int(64),
	"time":       parquet.Timestamp(parquet.Nanosecond),
	"latency_ns": parquet.Int(64),
	"client_id":  parquet.Optional(parquet.String()),
	"prediction": parquet.Optional(parquet.String()),
	"label":      parquet.Optional(parquet.String()),
}

func parquetSchema(cols map[string]columnKind) *parquet.Schema {
	g := parquet.Group{}
	for n, node := range fixedColumns {
		g[n] = node
	}
	for name, kind := range cols {
		switch kind {
		case numbers:
			g[name] = parquet.Optional(parquet.List(parquet.Leaf(parquet.DoubleType)))
		case blob:
			g[name] = parquet.Optional(parquet.Leaf(parquet.ByteArrayType))
		default:
			g[name] = parquet.Optional(parquet.List(parquet.Leaf(parquet.ByteArrayType)))
		}
	}
	return parquet.NewSchema("inferd_record", g)
}

// parquetRows are r's rows, one per batch row.
func parquetRows(r monitor.Record, cols map[string]columnKind) ([]any, error) {
	ts, err := tensorsOf(r)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, t := range ts {
		if t.Rank() > 0 {
			n = t.Shape()[0]
			break
		}
	}
	names := make([]string, 0, len(cols))
	for name := range cols {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]any, n)
	for i := range out {
		row := map[string]any{"request_id": r.RequestID, "model": r.Model, "version": int64(r.Version), "row": int64(i),
			"time": r.Time, "latency_ns": int64(r.Latency), "client_id": optional(r.ClientID),
			"prediction": optional(r.Prediction), "label": labelText(r.Label)}
		for _, name := range names {
			row[name] = cell(ts[name], i, cols[name])
		}
		out[i] = row
	}
	return out, nil
}

// cell is row i of t as a value of a column of kind (nil when t is nil
// or has no such row).
func cell(t *tensor.Tensor, i int, kind columnKind) any {
	if t == nil || t.Rank() == 0 && i > 0 || t.Rank() > 0 && i >= t.Shape()[0] {
		return nil
	}
	per := t.Len()
	if t.Rank() > 0 && t.Shape()[0] > 0 {
		per /= t.Shape()[0]
	}
	if strs, ok := t.Data().([]string); ok {
		if kind == blob {
			return []byte(strs[i])
		}
		vals := make([][]byte, per)
		for j := range vals {
			vals[j] = []byte(strs[i*per+j])
		}
		return vals
	}
	if kind != numbers {
		return nil
	}
	if vals := drift.RowValues(t, i); vals != nil {
		return vals
	}
	return nil
}

func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// labelText is a feedback label as text: a JSON string as itself, another
// value as its JSON (nil without a label).
func labelText(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

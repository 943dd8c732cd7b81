package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/export"
	"github.com/inferd/inferd/monitor/sqlstore"
	"github.com/inferd/inferd/tensor"
)

// Parquet export: one row per request row, images as their bytes, numbers
// as lists, labels joined; the file opens in inferd eval's reader.
func TestParquet(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	png := "\x89PNG\r\n\x1a\n\x00binary"
	recs := []monitor.Record{
		{RequestID: "a", Model: "m", Version: 1, Time: time.Unix(1_700_000_000, 5), Latency: time.Millisecond, Prediction: "1",
			Inputs:  monitor.EncodePayload(map[string]*tensor.Tensor{"img": tensor.MustFromSlice([]string{png}, 1)}, nil),
			Outputs: monitor.EncodePayload(map[string]*tensor.Tensor{"y": tensor.MustFromSlice([]float32{0.25, 0.75}, 1, 2)}, nil)},
		{RequestID: "b", Model: "m", Version: 1, Time: time.Unix(1_700_000_001, 0), ClientID: "c",
			Inputs:  monitor.EncodePayload(map[string]*tensor.Tensor{"img": tensor.MustFromSlice([]string{"x", "y"}, 2)}, nil),
			Outputs: monitor.EncodePayload(map[string]*tensor.Tensor{"y": tensor.MustFromSlice([]float32{1, 0, 0, 1}, 2, 2)}, nil)},
	}
	if err := store.Append(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddFeedback(ctx, []monitor.Feedback{{Model: "m", RequestID: "a", Label: json.RawMessage(`"1"`), Time: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := export.Parquet(ctx, store, monitor.Query{Model: "m"}, 0, &buf)
	if err != nil || n != 3 {
		t.Fatalf("wrote %d rows (%v), want 3: one per request row", n, err)
	}
	r := parquet.NewReader(bytes.NewReader(buf.Bytes()))
	var rows []map[string]any
	for {
		row := map[string]any{}
		if err := r.Read(&row); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if len(rows) != 3 {
		t.Fatalf("read %d rows", len(rows))
	}
	// (byte arrays read back into a map as strings)
	first := rows[0]
	if first["input.img"] != png || first["request_id"] != "a" || first["label"] != "1" || first["prediction"] != "1" ||
		fmt.Sprint(first["output.y"]) != "[0.25 0.75]" || fmt.Sprint(first["time"]) != "1700000000000000005" {
		t.Fatalf("row 0: %#v", first)
	}
	if rows[2]["request_id"] != "b" || fmt.Sprint(rows[2]["row"]) != "1" || rows[2]["input.img"] != "y" || rows[2]["label"] != nil ||
		rows[2]["client_id"] != "c" || fmt.Sprint(rows[2]["output.y"]) != "[0 1]" {
		t.Fatalf("row 2: %#v", rows[2])
	}
	// inferd eval reads the number columns as features, the label as is.
	path := filepath.Join(t.TempDir(), "m.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rd, err := dataset.Open(dataset.Spec{Path: path, Features: []string{"output.y"}, Label: "label"})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	row, err := rd.Next()
	if err != nil || len(row.Features) != 2 || row.Features[1] != 0.75 || row.Label != "1" {
		t.Fatalf("eval reads %+v (%v)", row, err)
	}
}

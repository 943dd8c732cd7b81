package dataset

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type loan struct {
	Income float64   `parquet:"income"`
	Pixels []float32 `parquet:"pixels,list"`
	Sex    string    `parquet:"sex"`
	Weight float32   `parquet:"w"`
	Label  int64     `parquet:"label"`
}

func writeParquet(t *testing.T, path string, rows []loan, rowGroup int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[loan](f, parquet.MaxRowsPerRowGroup(int64(rowGroup)))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestParquet(t *testing.T) {
	dir := t.TempDir()
	var rows []loan
	for i := range 150 {
		rows = append(rows, loan{Income: float64(i) + 0.5, Pixels: []float32{float32(i), 1}, Sex: []string{"F", "M"}[i%2], Weight: 2, Label: int64(i % 3)})
	}
	path := filepath.Join(dir, "loans.parquet")
	writeParquet(t, path, rows, 40) // several row groups
	got, err := readAll(Spec{Path: path, Groups: []string{"sex"}, Weight: "w"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 150 {
		t.Fatalf("%d rows", len(got))
	}
	for i, r := range got {
		want := []float64{float64(i) + 0.5, float64(i), 1}
		if !slices.Equal(r.Features, want) || r.Label != []string{"0", "1", "2"}[i%3] || r.Groups[0] != rows[i].Sex || r.Weight != 2 || r.Line != i+1 {
			t.Fatalf("row %d: %+v, want features %v", i, r, want)
		}
	}
	if _, err := readAll(Spec{Path: path, Label: "approved"}); err == nil || !strings.Contains(err.Error(), `no label column "approved"`) {
		t.Fatalf("missing label: %v", err)
	}
	bad := write(t, dir, "bad.parquet", "PAR1 not really")
	if _, err := readAll(Spec{Path: bad}); err == nil || !strings.Contains(err.Error(), bad+": bad dataset: not a readable Parquet file") {
		t.Fatalf("corrupt file: %v", err)
	}
}

package dataset

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAll(spec Spec) ([]*Row, error) {
	r, err := Open(spec)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var rows []*Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

func TestTables(t *testing.T) {
	dir := t.TempDir()
	csvPath := write(t, dir, "a.csv", "x1,x2,sex,label,w\n1,2,F,yes,0.5\n3,4.5,M,no,2\n")
	jsonPath := write(t, dir, "a.jsonl", `{"x1":1,"x2":[2,[3]],"sex":"F","label":1,"w":0.5}`+"\n\n"+`{"x2":[4,5],"x1":3,"sex":"M","label":"0","w":2}`+"\n")
	for _, tt := range []struct {
		path     string
		features [][]float64
		labels   []string
	}{
		{csvPath, [][]float64{{1, 2}, {3, 4.5}}, []string{"yes", "no"}},
		{jsonPath, [][]float64{{1, 2, 3}, {3, 4, 5}}, []string{"1", "0"}},
	} {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			rows, err := readAll(Spec{Path: tt.path, Groups: []string{"sex"}, Weight: "w"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 2 {
				t.Fatalf("%d rows", len(rows))
			}
			for i, r := range rows {
				if !slices.Equal(r.Features, tt.features[i]) || r.Label != tt.labels[i] {
					t.Errorf("row %d: features %v label %q, want %v %q", i, r.Features, r.Label, tt.features[i], tt.labels[i])
				}
			}
			if rows[0].Groups[0] != "F" || rows[1].Weight != 2 || rows[1].Line != 3 {
				t.Errorf("groups %v weight %v line %d", rows[0].Groups, rows[1].Weight, rows[1].Line)
			}
		})
	}
}

func TestBadDatasetsNameFileAndRow(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, file, body string
		spec             Spec
		want             string
	}{
		{"missing label", "a.csv", "x,y\n1,2\n", Spec{}, `a.csv line 1: bad dataset: no label column "label"`},
		{"ragged row", "b.csv", "x,label\n1,2\n1,2,3\n", Spec{}, "b.csv line 3: bad dataset: 3 fields, but the header has 2 columns"},
		{"not a number", "c.csv", "x,label\n1,2\nabc,2\n", Spec{}, `c.csv line 3: bad dataset: feature column "x": "abc" is not a number`},
		{"empty group", "d.csv", "x,g,label\n1,a,2\n1,,2\n", Spec{Groups: []string{"g"}}, `d.csv line 3: bad dataset: group column "g" is empty`},
		{"missing group column", "e.csv", "x,label\n1,2\n", Spec{Groups: []string{"g"}}, `e.csv line 1: bad dataset: no group column "g"`},
		{"bad weight", "f.csv", "x,w,label\n1,-1,2\n", Spec{Weight: "w"}, `f.csv line 2: bad dataset: weight column "w": "-1" is not a non-negative number`},
		{"empty csv", "g.csv", "", Spec{}, "g.csv line 1: bad dataset: empty file"},
		{"json not object", "h.jsonl", "{\"x\":1,\"label\":2}\n[1]\n", Spec{}, "h.jsonl line 2: bad dataset: not a JSON object"},
		{"json missing key", "i.jsonl", "{\"x\":1,\"label\":2}\n{\"label\":3}\n", Spec{}, `i.jsonl line 2: bad dataset: no "x" key`},
		{"json missing label", "j.jsonl", "{\"x\":1}\n", Spec{}, `j.jsonl line 1: bad dataset: no label column "label"`},
		{"quote", "k.csv", "x,label\n\"1,2\n", Spec{}, "k.csv line 2: bad dataset:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, dir, tt.file, tt.body)
			tt.spec.Path = p
			_, err := readAll(tt.spec)
			if err == nil || !errors.Is(err, ErrData) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), p) {
				t.Fatalf("error %q does not start with the file", err)
			}
		})
	}
}

func TestImageFolder(t *testing.T) {
	dir := t.TempDir()
	png, err := os.ReadFile("../../examples/digits/images/3_0.png")
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "3/a.png", string(png))
	write(t, dir, "7/b.png", string(png))
	rows, err := readAll(Spec{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Label != "3" || rows[1].Label != "7" || len(rows[1].Image) != len(png) {
		t.Fatalf("rows %v", rows)
	}
	bad := write(t, dir, "7/c.png", "not an image")
	_, err = readAll(Spec{Path: dir})
	if err == nil || !strings.Contains(err.Error(), bad+": bad dataset: not a readable") {
		t.Fatalf("corrupt image: %v", err)
	}
	write(t, dir, "stray.txt", "x")
	if _, err := readAll(Spec{Path: dir}); err == nil || !strings.Contains(err.Error(), "stray.txt") {
		t.Fatalf("stray file: %v", err)
	}
}

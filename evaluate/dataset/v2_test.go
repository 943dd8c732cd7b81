package dataset

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/tensor"
)

const (
	v2Digits = "../../examples/evaluation/digits-test.v2.jsonl"
	v2Loans  = "../../examples/evaluation/loans-requests"
)

// The example request datasets hold the same samples as their tables.
func TestV2MatchesTables(t *testing.T) {
	for _, tt := range []struct {
		name         string
		v2, table    Spec
		firstInput   []int
		samplesInRec int
	}{
		{"digits", Spec{Path: v2Digits}, Spec{Path: "../../examples/evaluation/digits-test.csv"}, []int{1, 1, 8, 8}, 8},
		{"loans", Spec{Path: v2Loans, Groups: []string{"sex"}, Slices: []string{"region"}},
			Spec{Path: "../../examples/evaluation/loans-test.csv", Groups: []string{"sex"}, Slices: []string{"region"}}, []int{1, 4}, 100},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.v2)
			if err != nil {
				t.Fatal(err)
			}
			want, err := readAll(tt.table)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, the table has %d", len(got), len(want))
			}
			for i, r := range got {
				in := r.Inputs["input"]
				if in == nil || !slices.Equal(in.Shape(), tt.firstInput) || r.Sample != i%tt.samplesInRec+1 {
					t.Fatalf("row %d: inputs %v sample %d", i, r.Inputs, r.Sample)
				}
				for j, v := range tensor.Data[float32](in) {
					if float64(v) != want[i].Features[j] {
						t.Fatalf("row %d value %d: %v, table %v", i, j, v, want[i].Features[j])
					}
				}
				if r.Label != want[i].Label || strings.Join(r.Groups, ",") != strings.Join(want[i].Groups, ",") ||
					strings.Join(r.Slices, ",") != strings.Join(want[i].Slices, ",") {
					t.Fatalf("row %d: label %q groups %v slices %v, table %q %v %v", i, r.Label, r.Groups, r.Slices, want[i].Label, want[i].Groups, want[i].Slices)
				}
			}
		})
	}
}

func TestV2Formats(t *testing.T) {
	dir := t.TempDir()
	rec := `{"request":{"inputs":[{"name":"a","shape":[2,2],"datatype":"INT64","data":[1,2,3,4]},{"name":"b","shape":[2],"datatype":"BYTES","data":["x","y"]}]},` +
		`"expected":[{"name":"score","shape":[2],"datatype":"FP32","data":[0.5,1.5]},{"name":"label","shape":[2,1],"datatype":"BOOL","data":[true,false]}],` +
		`"columns":{"g":["F",1],"w":[1,2.5]}}`
	write(t, dir, "recs/b.json", rec)
	write(t, dir, "recs/a.json", rec)
	for _, spec := range []Spec{
		{Path: write(t, dir, "r.v2.jsonl", rec+"\n\n"+rec+"\n"), Groups: []string{"g"}, Weight: "w"},
		{Path: write(t, dir, "r.jsonl", rec+"\n"+rec+"\n"), Format: "v2", Groups: []string{"g"}, Weight: "w"},
		{Path: filepath.Join(dir, "recs"), Groups: []string{"g"}, Weight: "w"},
	} {
		rows, err := readAll(spec)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 {
			t.Fatalf("%s: %d rows", spec.Path, len(rows))
		}
		r := rows[3]
		if r.Label != "0" || r.Groups[0] != "1" || r.Weight != 2.5 || r.Sample != 2 ||
			!slices.Equal(tensor.Data[int64](r.Inputs["a"]), []int64{3, 4}) || tensor.Data[string](r.Inputs["b"])[0] != "y" {
			t.Errorf("%s: last row %+v", spec.Path, r)
		}
	}
	rows, err := readAll(Spec{Path: filepath.Join(dir, "r.v2.jsonl"), Label: "score"})
	if err != nil || rows[1].Label != "1.5" || rows[2].Line != 3 {
		t.Fatalf("regression labels: %v %+v", err, rows)
	}
}

func TestV2BadRecords(t *testing.T) {
	dir := t.TempDir()
	in := `"request":{"inputs":[{"name":"x","shape":[2,1],"datatype":"FP32","data":[1,2]}]}`
	label := `"expected":[{"name":"label","shape":[2],"datatype":"BYTES","data":["a","b"]}]`
	good := "{" + in + "," + label + "}\n"
	for _, tt := range []struct {
		name, body string
		spec       Spec
		want       string
	}{
		{"not json", good + "{nope\n", Spec{}, "line 2: bad dataset: not a v2 request record"},
		{"unknown key", "{" + in + "," + label + `,"extra":1}`, Spec{}, `line 1: bad dataset: not a v2 request record (want {"request": ..., "expected": [...], "columns": {...}}): json: unknown field "extra"`},
		{"no request", "{" + label + "}", Spec{}, `line 1: bad dataset: no "request" with inputs`},
		{"bad datatype", `{"request":{"inputs":[{"name":"x","shape":[1],"datatype":"FLOAT","data":[1]}]},` + label + "}", Spec{}, `line 1: bad dataset: request: input "x": unknown datatype "FLOAT"`},
		{"short data", `{"request":{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3]}]},` + label + "}", Spec{}, `request: input "x": shape [2 2] needs 4 elements, data has 3`},
		{"binary data", `{"request":{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]},` + label + "}", Spec{}, "no binary data"},
		{"batch mismatch", `{"request":{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,2]},{"name":"y","shape":[3],"datatype":"FP32","data":[1,2,3]}]},` + label + "}", Spec{}, `input "y" holds 3 samples, input "x" 2`},
		{"scalar input", `{"request":{"inputs":[{"name":"x","shape":[],"datatype":"FP32","data":[1]}]},` + label + "}", Spec{}, "want a first (batch) dimension"},
		{"no label", "{" + in + `,"expected":[{"name":"y","shape":[2],"datatype":"BYTES","data":["a","b"]}]}`, Spec{}, `no expected output "label" (the label; expected outputs: y)`},
		{"label count", "{" + in + `,"expected":[{"name":"label","shape":[3],"datatype":"BYTES","data":["a","b","c"]}]}`, Spec{}, `expected output "label" has shape [3]: want one value for each of the request's 2 samples`},
		{"empty label", "{" + in + `,"expected":[{"name":"label","shape":[2],"datatype":"BYTES","data":["a",""]}]}`, Spec{}, `line 1 sample 2: bad dataset: label column "label" is empty`},
		{"missing group", good, Spec{Groups: []string{"sex"}}, `line 1: bad dataset: no group column "sex" in the record's "columns"`},
		{"group count", "{" + in + "," + label + `,"columns":{"sex":["F"]}}`, Spec{Groups: []string{"sex"}}, `group column "sex" has 1 values for the request's 2 samples`},
		{"bad weight", "{" + in + "," + label + `,"columns":{"w":[1,-2]}}`, Spec{Weight: "w"}, `line 1 sample 2: bad dataset: weight column "w": "-2" is not a non-negative number`},
		{"empty file", "\n", Spec{}, "line 1: bad dataset: no records"},
		{"features", good, Spec{Features: []string{"x"}}, "has no feature columns"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec.Path = write(t, dir, strings.ReplaceAll(tt.name, " ", "-")+".v2.jsonl", tt.body)
			_, err := readAll(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "dataset "+tt.spec.Path) && !strings.HasPrefix(err.Error(), tt.spec.Path) {
				t.Fatalf("error %v, want one naming the file and containing %q", err, tt.want)
			}
			if tt.name != "features" && !errors.Is(err, ErrData) {
				t.Errorf("error %v does not wrap ErrData", err)
			}
		})
	}
	if _, err := readAll(Spec{Path: t.TempDir(), Format: "v2"}); err == nil || !strings.Contains(err.Error(), "no .json request files") {
		t.Errorf("empty directory: %v", err)
	}
}

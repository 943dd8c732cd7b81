package evaluate

import (
	"errors"
	"strings"
	"testing"

	"github.com/inferd/inferd/tensor"
)

func TestCheckBatch(t *testing.T) {
	digits := &Model{Shape: []int{64}, DType: tensor.Float32}
	image := &Model{Shape: []int{3, 224, 224}, DType: tensor.Float32}
	noTable := &Model{TableErr: errors.New("several inputs")}
	for _, tt := range []struct {
		name string
		m    *Model
		rows int
		want string // "" for no error
	}{
		{"digits at 32", digits, 32, ""},
		{"digits at the row limit", digits, MaxBatch, ""},
		{"over the row limit", digits, MaxBatch + 1, "a batch of 65537 rows is over the limit of 65536 rows per batch"},
		{"huge", noTable, 100_000_000, "over the limit of 65536 rows"},
		{"images within bytes", image, 512, ""},
		{"images over bytes", image, 2048, "a batch of 2048 rows of FP32 [3 224 224] takes 1176 MiB, over the limit of 1024 MiB per batch"},
		{"no table input", noTable, 2048, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBatch(tt.m, tt.rows)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("checkBatch(%d): %v", tt.rows, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("checkBatch(%d): %v, want %q", tt.rows, err, tt.want)
			}
		})
	}
}

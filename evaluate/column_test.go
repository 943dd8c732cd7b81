package evaluate

import "testing"

// A column keeps its rows across blocks, moves and truncates them, and
// reuses its blocks after a truncate.
func TestColumn(t *testing.T) {
	for _, tc := range []struct {
		name        string
		width, rows int
	}{
		{"empty", 3, 0},
		{"one block", 1, blockRows - 1},
		{"exactly one block", 2, blockRows},
		{"several blocks", 3, 2*blockRows + 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newColumn[int32](tc.width)
			for j := range tc.rows {
				row := c.push()
				for i := range row {
					row[i] = int32(j*tc.width + i)
				}
			}
			if c.len() != tc.rows || len(c.blocks) != (tc.rows+blockRows-1)/blockRows {
				t.Fatalf("%d rows in %d blocks, want %d", c.len(), len(c.blocks), tc.rows)
			}
			n := 0
			for j, v := range c.all() {
				if v != int32(j*tc.width) || c.row(j)[tc.width-1] != int32((j+1)*tc.width-1) || len(c.row(j)) != tc.width {
					t.Fatalf("row %d is %v", j, c.row(j))
				}
				n++
			}
			if n != tc.rows {
				t.Fatalf("all yielded %d rows, want %d", n, tc.rows)
			}
			if tc.rows < 2 {
				return
			}
			c.move(0, tc.rows-1)
			if c.at(0) != int32((tc.rows-1)*tc.width) {
				t.Fatalf("row 0 after the move is %v", c.row(0))
			}
			blocks := len(c.blocks)
			c.truncate(1)
			if allocs := testing.AllocsPerRun(1, func() {
				for range tc.rows - 1 {
					c.append(7)
				}
				c.truncate(1)
			}); allocs != 0 || len(c.blocks) != blocks {
				t.Fatalf("refilling after a truncate: %v allocations, %d blocks (had %d)", allocs, len(c.blocks), blocks)
			}
		})
	}
}

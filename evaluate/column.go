package evaluate

import "iter"

// blockRows is the rows of one block of a column.
const blockRows = 2048

// column is a growable column of width values per row, kept in blocks of
// blockRows rows. Growing it allocates a new block and never copies the
// rows it holds, so an evaluation's kept rows grow without a pause to copy
// them to fresh memory (which on a virtual machine costs page faults at
// about 18 µs a page), and its memory is what the kept rows need, plus at
// most one block. Truncating keeps the blocks past the end, and appending
// reuses them: a sample that stays at its bound allocates nothing more.
// A row's values are contiguous (row).
type column[T any] struct {
	width  int
	rows   int
	blocks [][]T
}

// keptColumn is a column of any type, as the sample moves and truncates
// its rows.
type keptColumn interface {
	move(dst, src int)
	truncate(n int)
}

func newColumn[T any](width int) column[T] { return column[T]{width: width} }

// len is the number of rows.
func (c *column[T]) len() int { return c.rows }

// row is row j's values, in the column's storage.
func (c *column[T]) row(j int) []T {
	b, off := c.blocks[j/blockRows], (j%blockRows)*c.width
	return b[off : off+c.width : off+c.width]
}

// at is the first value of row j (the value of a column of width 1).
func (c *column[T]) at(j int) T { return c.blocks[j/blockRows][(j%blockRows)*c.width] }

// push appends a row and returns its values to fill.
func (c *column[T]) push() []T {
	if c.rows/blockRows == len(c.blocks) {
		c.blocks = append(c.blocks, make([]T, blockRows*c.width))
	}
	c.rows++
	return c.row(c.rows - 1)
}

// append appends a row of one value.
func (c *column[T]) append(v T) { c.push()[0] = v }

// move copies row src over row dst.
func (c *column[T]) move(dst, src int) { copy(c.row(dst), c.row(src)) }

// truncate keeps the first n rows (n ≤ len), and the blocks for reuse.
func (c *column[T]) truncate(n int) { c.rows = n }

// all yields each row's index and first value.
func (c *column[T]) all() iter.Seq2[int, T] {
	return func(yield func(int, T) bool) {
		for j := range c.rows {
			if !yield(j, c.at(j)) {
				return
			}
		}
	}
}

// slice is a copy of the first values of the rows in one slice, mapped
// by to.
func sliceOf[T, U any](c *column[T], to func(T) U) []U {
	out := make([]U, c.rows)
	for j, v := range c.all() {
		out[j] = to(v)
	}
	return out
}

package preprocess

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"io"
	"sync"
)

// decodePNG decodes the PNGs that requests carry most (8-bit gray, RGB or
// RGBA, not interlaced, no palette or transparency chunk) without what
// image/png allocates per image: its zlib reader, whose 32 KiB window and
// tables cost more than decoding a small image. The zlib readers and row
// buffers are pooled and reset instead.
//
// It accepts strictly less than image/png and returns exactly what
// image/png would (the same image type and pixels): anything else — other
// formats and layouts, unknown critical chunks, bad checksums, malformed
// data of any kind — makes it report ok false, and the caller decodes with
// image/png, which gives the usual result or error. An image over
// maxPixels is the one error it reports itself (ok true).
func decodePNG(data []byte, maxPixels int) (img image.Image, ok bool, err error) {
	st := pngStates.Get().(*pngState)
	defer st.release()
	p := &st.layout
	if !p.parse(data) {
		return nil, false, nil
	}
	if int64(p.width)*int64(p.height) > int64(maxPixels) {
		return nil, true, fmt.Errorf("%w: png image is %dx%d, over the limit of %d pixels", ErrImageTooLarge, p.width, p.height, maxPixels)
	}
	img, ok = st.decode()
	return img, ok, nil
}

// PNG colour types (the IHDR field) taken by the fast path, and their
// bytes per pixel at 8 bits per sample.
const (
	pngGray = 0
	pngRGB  = 2
	pngRGBA = 6
)

// pngBytesPerPixel is the size of a pixel of the fast path's colour
// types, 0 for the others.
func pngBytesPerPixel(colorType byte) int {
	switch colorType {
	case pngGray:
		return 1
	case pngRGB:
		return 3
	case pngRGBA:
		return 4
	}
	return 0
}

// pngLayout is what parse found: the header fields and the image data,
// one slice per IDAT chunk.
type pngLayout struct {
	width, height int
	colorType     byte
	idat          [][]byte
}

// parse walks the chunks and checks every checksum, accepting the
// sequence image/png accepts in the fast path's cases: IHDR, ancillary
// chunks, consecutive IDATs, ancillary chunks, IEND.
func (p *pngLayout) parse(data []byte) bool {
	const signature = "\x89PNG\r\n\x1a\n"
	if len(data) < len(signature) || string(data[:len(signature)]) != signature {
		return false
	}
	rest := data[len(signature):]
	p.idat = p.idat[:0]
	stage := pngStart
	for {
		kind, body, next, ok := splitChunk(rest)
		if !ok {
			return false
		}
		rest = next
		if string(kind) == "IEND" {
			return stage >= pngInIDATs && len(body) == 0
		}
		if stage, ok = p.chunk(stage, kind, body); !ok {
			return false
		}
	}
}

// The stages of parse.
const (
	pngStart     = iota // nothing read
	pngHeader           // IHDR read
	pngInIDATs          // in the run of IDATs
	pngAfterIDAT        // past it
)

// splitChunk splits the first chunk off data, checking its length and its
// checksum.
func splitChunk(data []byte) (kind, body, rest []byte, ok bool) {
	if len(data) < 12 {
		return nil, nil, nil, false
	}
	n := binary.BigEndian.Uint32(data)
	if n > 0x7fffffff || uint64(n) > uint64(len(data)-12) {
		return nil, nil, nil, false
	}
	if crc32.ChecksumIEEE(data[4:8+n]) != binary.BigEndian.Uint32(data[8+n:]) {
		return nil, nil, nil, false
	}
	return data[4:8], data[8 : 8+n], data[12+n:], true
}

// chunk takes a chunk other than IEND at stage and returns the next stage,
// or false when the fast path does not take that chunk there.
func (p *pngLayout) chunk(stage int, kind, body []byte) (int, bool) {
	switch string(kind) {
	case "IHDR":
		return pngHeader, stage == pngStart && p.header(body)
	case "IDAT":
		if stage != pngHeader && stage != pngInIDATs {
			return stage, false // none yet, or a second run of IDATs
		}
		p.idat = append(p.idat, body)
		return pngInIDATs, true
	}
	// Ancillary chunks (lowercase first letter) carry nothing image/png
	// uses, except tRNS; PLTE and unknown critical chunks go to image/png.
	if stage == pngStart || kind[0]&0x20 == 0 || string(kind) == "tRNS" {
		return stage, false
	}
	if stage == pngInIDATs {
		return pngAfterIDAT, true
	}
	return stage, true
}

// header reads IHDR, accepting only the fast path's layouts.
func (p *pngLayout) header(b []byte) bool {
	if len(b) != 13 {
		return false
	}
	w, h := int32(binary.BigEndian.Uint32(b[0:])), int32(binary.BigEndian.Uint32(b[4:]))
	depth, colorType, compression, filter, interlace := b[8], b[9], b[10], b[11], b[12]
	if w <= 0 || h <= 0 || depth != 8 || compression != 0 || filter != 0 || interlace != 0 {
		return false
	}
	if pngBytesPerPixel(colorType) == 0 {
		return false
	}
	p.width, p.height, p.colorType = int(w), int(h), colorType
	return true
}

// pngState is a pooled decoder: the parsed layout, a zlib reader to reset
// and row buffers.
type pngState struct {
	layout    pngLayout
	src       chunkReader
	zr        io.ReadCloser
	cur, prev []byte
}

var pngStates = sync.Pool{New: func() any { return new(pngState) }}

// release drops the references to the request's data and returns st to
// the pool.
func (st *pngState) release() {
	clear(st.layout.idat)
	st.src.reset(nil)
	pngStates.Put(st)
}

// decode inflates and unfilters the image data of st.layout.
func (st *pngState) decode() (image.Image, bool) {
	p := &st.layout
	st.src.reset(p.idat)
	if st.zr == nil {
		zr, err := zlib.NewReader(&st.src)
		if err != nil {
			return nil, false
		}
		st.zr = zr
	} else if err := st.zr.(zlib.Resetter).Reset(&st.src, nil); err != nil {
		return nil, false
	}
	bpp := pngBytesPerPixel(p.colorType)
	rowLen := 1 + p.width*bpp
	if cap(st.cur) < rowLen {
		st.cur, st.prev = make([]byte, rowLen), make([]byte, rowLen)
	}
	cur, prev := st.cur[:rowLen], st.prev[:rowLen]
	clear(prev)
	rect := image.Rect(0, 0, p.width, p.height)
	var (
		pix    []byte
		stride int
		img    image.Image
	)
	switch p.colorType {
	case pngGray:
		m := image.NewGray(rect)
		pix, stride, img = m.Pix, m.Stride, m
	case pngRGB:
		m := image.NewRGBA(rect)
		pix, stride, img = m.Pix, m.Stride, m
	case pngRGBA:
		m := image.NewNRGBA(rect)
		pix, stride, img = m.Pix, m.Stride, m
	}
	for y := range p.height {
		if _, err := io.ReadFull(st.zr, cur); err != nil {
			return nil, false
		}
		if !unfilter(cur[0], cur[1:], prev[1:], bpp) {
			return nil, false
		}
		row := pix[y*stride : (y+1)*stride]
		if p.colorType == pngRGB {
			for x, i := 0, 1; x < len(row); x, i = x+4, i+3 {
				row[x], row[x+1], row[x+2], row[x+3] = cur[i], cur[i+1], cur[i+2], 0xff
			}
		} else {
			copy(row, cur[1:])
		}
		cur, prev = prev, cur
	}
	// The stream must end here, checksum verified, with every IDAT byte
	// used (image/png's "too much pixel data" otherwise).
	var one [1]byte
	if n, err := st.zr.Read(one[:]); n != 0 || err != io.EOF || st.src.remaining() != 0 {
		return nil, false
	}
	return img, true
}

// unfilter undoes a row's PNG filter in place given the previous row (all
// zeros for the first), as image/png does; it reports false for an
// unknown filter type.
func unfilter(filter byte, cdat, pdat []byte, bpp int) bool {
	switch filter {
	case 0: // None
	case 1: // Sub
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += cdat[i-bpp]
		}
	case 2: // Up
		for i, p := range pdat {
			cdat[i] += p
		}
	case 3: // Average
		for i := range bpp {
			cdat[i] += pdat[i] / 2
		}
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += uint8((int(cdat[i-bpp]) + int(pdat[i])) / 2)
		}
	case 4: // Paeth
		for i := range bpp {
			cdat[i] += pdat[i] // paeth(0, b, 0) = b
		}
		for i := bpp; i < len(cdat); i++ {
			cdat[i] += paeth(cdat[i-bpp], pdat[i], pdat[i-bpp])
		}
	default:
		return false
	}
	return true
}

// paeth is the PNG Paeth predictor of a (left), b (up) and c (up left).
func paeth(a, b, c uint8) uint8 {
	pc := int(c)
	pa := int(b) - pc
	pb := int(a) - pc
	pc = abs(pa + pb)
	pa, pb = abs(pa), abs(pb)
	if pa <= pb && pa <= pc {
		return a
	} else if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// chunkReader reads the IDAT chunks' data as one stream. It is an
// io.ByteReader, so the zlib reader reads exactly the bytes it needs (no
// read-ahead), which lets decode check that nothing is left over.
type chunkReader struct {
	chunks [][]byte // the chunks after the one r reads
	r      bytes.Reader
}

func (c *chunkReader) reset(chunks [][]byte) {
	c.chunks = chunks
	c.r.Reset(nil)
}

// next moves to the first chunk with data left; false at the end.
func (c *chunkReader) next() bool {
	for c.r.Len() == 0 {
		if len(c.chunks) == 0 {
			return false
		}
		c.r.Reset(c.chunks[0])
		c.chunks = c.chunks[1:]
	}
	return true
}

func (c *chunkReader) Read(b []byte) (int, error) {
	if !c.next() {
		return 0, io.EOF
	}
	return c.r.Read(b)
}

func (c *chunkReader) ReadByte() (byte, error) {
	if !c.next() {
		return 0, io.EOF
	}
	return c.r.ReadByte()
}

// remaining is the number of unread bytes.
func (c *chunkReader) remaining() int {
	n := c.r.Len()
	for _, ch := range c.chunks {
		n += len(ch)
	}
	return n
}

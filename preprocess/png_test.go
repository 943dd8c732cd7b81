package preprocess

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
)

// pngChunk encodes one chunk with its checksum.
func pngChunk(kind string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, kind...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[4:]))
}

func ihdr(w, h int, depth, colorType, interlace byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(w))
	b = binary.BigEndian.AppendUint32(b, uint32(h))
	return pngChunk("IHDR", append(b, depth, colorType, 0, 0, interlace))
}

// filterRows encodes raw rows (without filter bytes) with the given filter
// type per row, cycling through filters, as a PNG encoder would.
func filterRows(rows [][]byte, bpp int, filters []byte) []byte {
	var out []byte
	prev := make([]byte, len(rows[0]))
	for y, row := range rows {
		f := filters[y%len(filters)]
		out = append(out, f)
		for i, v := range row {
			var a, b, c byte
			if i >= bpp {
				a, c = row[i-bpp], prev[i-bpp]
			}
			b = prev[i]
			switch f {
			case 1:
				v -= a
			case 2:
				v -= b
			case 3:
				v -= byte((int(a) + int(b)) / 2)
			case 4:
				v -= paeth(a, b, c)
			}
			out = append(out, v)
		}
		prev = row
	}
	return out
}

func deflate(raw []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(raw)
	w.Close()
	return buf.Bytes()
}

// pngSpec describes a hand-built PNG.
type pngSpec struct {
	w, h            int
	colorType       byte
	depth           byte // default 8
	interlace       byte
	filters         []byte   // default all five
	splits          []int    // cut the zlib stream into IDATs at these offsets
	before, after   [][]byte // chunks around the IDATs
	trailing        []byte   // bytes after the zlib stream, inside the IDAT
	breakCRC, noEnd bool
	endData         []byte // IEND's data (should be none)
	afterEnd        []byte // bytes after IEND
}

func (s pngSpec) build(r *rand.Rand) []byte {
	depth := s.depth
	if depth == 0 {
		depth = 8
	}
	bpp := map[byte]int{0: 1, 2: 3, 4: 2, 6: 4}[s.colorType] * int(depth) / 8
	rows := make([][]byte, s.h)
	for y := range rows {
		rows[y] = make([]byte, s.w*bpp)
		for i := range rows[y] {
			// Half noise, half gradient: every filter gets both.
			if y%2 == 0 {
				rows[y][i] = byte(r.IntN(256))
			} else {
				rows[y][i] = byte(i + 3*y)
			}
		}
	}
	filters := s.filters
	if filters == nil {
		filters = []byte{0, 1, 2, 3, 4}
	}
	z := append(deflate(filterRows(rows, bpp, filters)), s.trailing...)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, ihdr(s.w, s.h, depth, s.colorType, s.interlace)...)
	for _, c := range s.before {
		out = append(out, c...)
	}
	last := 0
	for _, at := range append(s.splits, len(z)) {
		at = min(at, len(z))
		out = append(out, pngChunk("IDAT", z[last:at])...)
		last = at
	}
	for _, c := range s.after {
		out = append(out, c...)
	}
	if !s.noEnd {
		out = append(out, pngChunk("IEND", s.endData)...)
	}
	if s.breakCRC {
		out[len(out)-1] ^= 1
	}
	return append(out, s.afterEnd...)
}

// checkAgainstStdlib fails if the fast path decoded data although
// image/png does not, or to different pixels.
func checkAgainstStdlib(t testing.TB, data []byte, img image.Image, ok bool, err error) {
	t.Helper()
	if !ok || err != nil {
		return
	}
	want, werr := png.Decode(bytes.NewReader(data))
	if werr != nil {
		t.Fatalf("fast path decoded an image image/png rejects (%v)", werr)
	}
	if !reflect.DeepEqual(img, want) {
		t.Fatalf("fast path gave %T %v, image/png %T %v: pixels differ", img, img.Bounds(), want, want.Bounds())
	}
}

func TestDecodePNGHandBuilt(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	text := pngChunk("tEXt", []byte("Comment\x00made by hand"))
	for _, c := range []struct {
		name string
		spec pngSpec
		fast bool // the fast path must take it
	}{
		{"gray", pngSpec{w: 64, h: 64, colorType: 0}, true},
		{"rgb", pngSpec{w: 17, h: 9, colorType: 2}, true},
		{"rgba", pngSpec{w: 33, h: 7, colorType: 6}, true},
		{"1x1", pngSpec{w: 1, h: 1, colorType: 6}, true},
		{"filter none", pngSpec{w: 9, h: 9, colorType: 2, filters: []byte{0}}, true},
		{"filter sub", pngSpec{w: 9, h: 9, colorType: 2, filters: []byte{1}}, true},
		{"filter up", pngSpec{w: 9, h: 9, colorType: 2, filters: []byte{2}}, true},
		{"filter average", pngSpec{w: 9, h: 9, colorType: 6, filters: []byte{3}}, true},
		{"filter paeth", pngSpec{w: 9, h: 9, colorType: 0, filters: []byte{4}}, true},
		{"several IDATs", pngSpec{w: 40, h: 40, colorType: 2, splits: []int{1, 2, 100, 101}}, true},
		{"empty IDAT in the run", pngSpec{w: 8, h: 8, colorType: 0, splits: []int{10, 10}}, true},
		{"ancillary chunks", pngSpec{w: 8, h: 8, colorType: 0, before: [][]byte{text}, after: [][]byte{text}}, true},
		{"bytes after IEND", pngSpec{w: 8, h: 8, colorType: 0, afterEnd: []byte("junk")}, true},
		{"bad filter type", pngSpec{w: 8, h: 8, colorType: 0, filters: []byte{5}}, false},
		{"interlaced", pngSpec{w: 8, h: 8, colorType: 0, interlace: 1}, false},
		{"16-bit", pngSpec{w: 8, h: 8, colorType: 2, depth: 16}, false},
		{"gray and alpha", pngSpec{w: 8, h: 8, colorType: 4}, false},
		{"transparency chunk", pngSpec{w: 8, h: 8, colorType: 2, before: [][]byte{pngChunk("tRNS", []byte{0, 1, 0, 2, 0, 3})}}, false},
		{"palette chunk", pngSpec{w: 8, h: 8, colorType: 2, before: [][]byte{pngChunk("PLTE", []byte{1, 2, 3})}}, false},
		{"unknown critical chunk", pngSpec{w: 8, h: 8, colorType: 0, before: [][]byte{pngChunk("ABCD", nil)}}, false},
		{"IDATs split by a chunk", pngSpec{w: 8, h: 8, colorType: 0, after: [][]byte{text, pngChunk("IDAT", nil)}}, false},
		{"data after the stream", pngSpec{w: 8, h: 8, colorType: 0, trailing: []byte{0}}, false},
		{"bad checksum", pngSpec{w: 8, h: 8, colorType: 0, breakCRC: true}, false},
		{"no IEND", pngSpec{w: 8, h: 8, colorType: 0, noEnd: true}, false},
		{"IEND with data", pngSpec{w: 8, h: 8, colorType: 0, endData: []byte{1}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.spec.build(r)
			img, ok, err := decodePNG(data, DefaultMaxPixels)
			if ok != c.fast {
				t.Fatalf("fast path took it: %v, want %v (err %v)", ok, c.fast, err)
			}
			if ok && err != nil {
				t.Fatalf("fast path error: %v", err)
			}
			checkAgainstStdlib(t, data, img, ok, err)
			// DecodeImage answers the same either way.
			got, gerr := DecodeImage(data, 0)
			want, werr := png.Decode(bytes.NewReader(data))
			if (gerr == nil) != (werr == nil) || (werr == nil && !reflect.DeepEqual(got, want)) {
				t.Fatalf("DecodeImage = %T, %v; image/png = %T, %v", got, gerr, want, werr)
			}
		})
	}
}

// TestDecodePNGEncoderOutput round-trips images through image/png's own
// encoder at every compression level: gray, opaque RGBA (stored as RGB),
// translucent NRGBA, and a size that spans several IDAT chunks.
func TestDecodePNGEncoderOutput(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, kind := range []string{"gray", "rgba-opaque", "nrgba"} {
		for _, size := range []int{1, 13, 64, 300} {
			for _, level := range []png.CompressionLevel{png.DefaultCompression, png.NoCompression, png.BestSpeed, png.BestCompression} {
				t.Run(fmt.Sprintf("%s/%d/level%d", kind, size, level), func(t *testing.T) {
					rect := image.Rect(0, 0, size, size)
					var src image.Image
					switch kind {
					case "gray":
						m := image.NewGray(rect)
						for i := range m.Pix {
							m.Pix[i] = byte(r.IntN(256) / 16 * 16) // some runs to compress
						}
						src = m
					case "rgba-opaque":
						m := image.NewRGBA(rect)
						for i := range m.Pix {
							m.Pix[i] = byte(r.IntN(256))
							if i%4 == 3 {
								m.Pix[i] = 0xff
							}
						}
						src = m
					default:
						m := image.NewNRGBA(rect)
						for y := range size {
							for x := range size {
								m.SetNRGBA(x, y, color.NRGBA{byte(x), byte(y), byte(x ^ y), byte(r.IntN(255))})
							}
						}
						src = m
					}
					var buf bytes.Buffer
					enc := png.Encoder{CompressionLevel: level}
					if err := enc.Encode(&buf, src); err != nil {
						t.Fatal(err)
					}
					img, ok, err := decodePNG(buf.Bytes(), DefaultMaxPixels)
					if !ok || err != nil {
						t.Fatalf("fast path declined image/png's own output (ok %v, err %v)", ok, err)
					}
					checkAgainstStdlib(t, buf.Bytes(), img, ok, err)
				})
			}
		}
	}
}

func TestDecodePNGPixelLimit(t *testing.T) {
	data := pngSpec{w: 100, h: 50, colorType: 0}.build(rand.New(rand.NewPCG(1, 1)))
	_, ok, err := decodePNG(data, 4999)
	if !ok || !errors.Is(err, ErrImageTooLarge) {
		t.Fatalf("ok %v, err %v; want ErrImageTooLarge", ok, err)
	}
	if _, err := DecodeImage(data, 5000); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
}

// FuzzDecodePNG checks that whatever the fast path accepts, image/png
// decodes to the same image.
func FuzzDecodePNG(f *testing.F) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range []pngSpec{
		{w: 8, h: 8, colorType: 0},
		{w: 5, h: 3, colorType: 2, splits: []int{7}},
		{w: 4, h: 4, colorType: 6, before: [][]byte{pngChunk("tEXt", []byte("a\x00b"))}},
	} {
		f.Add(s.build(r))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, ok, err := decodePNG(data, 1<<20)
		checkAgainstStdlib(t, data, img, ok, err)
	})
}

// BenchmarkDecodePNG compares the fast path with image/png on a digits
// sample image (64x64 gray, 241 bytes) and a 224x224 RGB one, half noise.
func BenchmarkDecodePNG(b *testing.B) {
	digit, err := os.ReadFile("../examples/digits/images/7_0.png")
	if err != nil {
		b.Fatal(err)
	}
	rgb := pngSpec{w: 224, h: 224, colorType: 2}.build(rand.New(rand.NewPCG(13, 14)))
	for _, c := range []struct {
		name string
		data []byte
	}{{"digit-64x64-gray", digit}, {"224x224-rgb", rgb}} {
		data, name := c.data, c.name
		b.Run(name+"/fast", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok, _ := decodePNG(data, DefaultMaxPixels); !ok {
					b.Fatal("declined")
				}
			}
		})
		b.Run(name+"/image-png", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := png.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzDecodePNGPayload fuzzes the image data behind valid chunk framing
// (FuzzDecodePNG's mutations mostly break a checksum and stop early): the
// header's size and colour type, and the zlib stream, cut into two IDATs.
func FuzzDecodePNGPayload(f *testing.F) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, s := range []struct {
		w, h, ct byte
	}{{8, 8, 0}, {5, 3, 2}, {4, 4, 6}} {
		rows := make([][]byte, s.h)
		bpp := pngBytesPerPixel(s.ct)
		for y := range rows {
			rows[y] = make([]byte, int(s.w)*bpp)
			for i := range rows[y] {
				rows[y][i] = byte(r.IntN(256))
			}
		}
		f.Add(s.w, s.h, s.ct, uint16(3), deflate(filterRows(rows, bpp, []byte{0, 1, 2, 3, 4})))
	}
	f.Fuzz(func(t *testing.T, w, h, colorType byte, split uint16, stream []byte) {
		at := min(int(split), len(stream))
		data := []byte("\x89PNG\r\n\x1a\n")
		data = append(data, ihdr(int(w), int(h), 8, colorType, 0)...)
		data = append(data, pngChunk("IDAT", stream[:at])...)
		data = append(data, pngChunk("IDAT", stream[at:])...)
		data = append(data, pngChunk("IEND", nil)...)
		img, ok, err := decodePNG(data, 1<<20)
		checkAgainstStdlib(t, data, img, ok, err)
	})
}

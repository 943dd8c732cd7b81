package preprocess

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// randomImage is a w x h Gray or (premultiplied) RGBA image at origin
// (x0, y0), with random pixels; fill >= 0 paints every byte that value
// instead.
func randomImage(kind string, x0, y0, w, h int, fill int, r *rand.Rand) image.Image {
	px := func() uint8 {
		if fill >= 0 {
			return uint8(fill)
		}
		return uint8(r.IntN(256))
	}
	rect := image.Rect(x0, y0, x0+w, y0+h)
	if kind == "gray" {
		g := image.NewGray(rect)
		for i := range g.Pix {
			g.Pix[i] = px()
		}
		return g
	}
	m := image.NewRGBA(rect)
	for i := 0; i < len(m.Pix); i += 4 {
		a := px()
		m.Pix[i+3] = a
		for c := range 3 {
			m.Pix[i+c] = uint8(int(px()) * int(a) / 255) // premultiplied: c <= a
		}
	}
	return m
}

// TestBoxShrinkMatchesKernelScaler checks the fast path pixel for pixel
// against x/image/draw's scaler with the same area kernel.
func TestBoxShrinkMatchesKernelScaler(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, kind := range []string{"gray", "rgba"} {
		for _, c := range []struct {
			x0, y0, sw, sh, dw, dh int
			fill                   int
		}{
			{0, 0, 64, 64, 8, 8, -1},
			{0, 0, 64, 64, 8, 8, 255},
			{0, 0, 64, 64, 8, 8, 0},
			{0, 0, 64, 64, 32, 16, -1},
			{0, 0, 30, 20, 10, 5, -1},
			{0, 0, 21, 21, 3, 3, 255}, // 1/7 is inexact in binary
			{0, 0, 21, 21, 3, 3, -1},
			{0, 0, 7, 7, 7, 7, -1},  // factor 1: a copy
			{5, -3, 9, 6, 3, 2, -1}, // bounds not at the origin
			{0, 0, 224, 224, 112, 112, -1},
		} {
			name := fmt.Sprintf("%s/%dx%d@%d,%d->%dx%d/fill=%d", kind, c.sw, c.sh, c.x0, c.y0, c.dw, c.dh, c.fill)
			t.Run(name, func(t *testing.T) {
				src := randomImage(kind, c.x0, c.y0, c.sw, c.sh, c.fill, r)
				want := image.NewRGBA(image.Rect(0, 0, c.dw, c.dh))
				areaKernel.Scale(want, want.Bounds(), src, src.Bounds(), xdraw.Src, nil)
				got := image.NewRGBA(image.Rect(0, 0, c.dw, c.dh))
				if !boxShrink(got, src) {
					t.Fatal("boxShrink declined a whole-number reduction")
				}
				if !bytes.Equal(got.Pix, want.Pix) {
					for i := range got.Pix {
						if got.Pix[i] != want.Pix[i] {
							t.Fatalf("byte %d (pixel %d, channel %d) = %d, kernel scaler %d", i, i/4, i%4, got.Pix[i], want.Pix[i])
						}
					}
				}
			})
		}
	}
}

func TestBoxShrinkDeclines(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		name   string
		src    image.Image
		dw, dh int
	}{
		{"width not a multiple", randomImage("gray", 0, 0, 10, 8, -1, r), 3, 4},
		{"height not a multiple", randomImage("rgba", 0, 0, 8, 10, -1, r), 4, 3},
		{"enlarging", randomImage("gray", 0, 0, 4, 4, -1, r), 8, 8},
		{"other pixel type", image.NewNRGBA(image.Rect(0, 0, 8, 8)), 4, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := image.NewRGBA(image.Rect(0, 0, c.dw, c.dh))
			if boxShrink(dst, c.src) {
				t.Error("boxShrink took a case it does not handle")
			}
			for _, v := range dst.Pix {
				if v != 0 {
					t.Fatal("boxShrink wrote to dst although it declined")
				}
			}
		})
	}
}

// BenchmarkAreaResize compares the whole-number fast path with the kernel
// scaler it replaces, on the digits examples' 64x64 -> 8x8 and an
// ImageNet-sized 448x448 -> 224x224.
func BenchmarkAreaResize(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		kind           string
		sw, sh, dw, dh int
	}{
		{"gray", 64, 64, 8, 8},
		{"rgba", 448, 448, 224, 224},
	} {
		src := randomImage(c.kind, 0, 0, c.sw, c.sh, -1, r)
		dst := image.NewRGBA(image.Rect(0, 0, c.dw, c.dh))
		name := fmt.Sprintf("%s/%dx%d->%dx%d", c.kind, c.sw, c.sh, c.dw, c.dh)
		b.Run(name+"/box", func(b *testing.B) {
			for b.Loop() {
				boxShrink(dst, src)
			}
		})
		scaler := areaKernel.NewScaler(c.dw, c.dh, c.sw, c.sh)
		b.Run(name+"/kernel", func(b *testing.B) {
			for b.Loop() {
				scaler.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
			}
		})
	}
}

func TestSumBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for n := range 70 {
		b := make([]byte, n)
		want := uint32(0)
		for i := range b {
			b[i] = byte(r.IntN(256))
			if n%7 == 0 {
				b[i] = 255 // the largest lanes
			}
			want += uint32(b[i])
		}
		if got := sumBytes(b); got != want {
			t.Fatalf("sumBytes of %d bytes = %d, want %d", n, got, want)
		}
	}
}

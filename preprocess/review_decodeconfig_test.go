package preprocess

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestReviewDecodeConfigTruncated (review s12): DecodeConfig answers as
// image.DecodeConfig on every prefix of a PNG, a JPEG and a WebP.
func TestReviewDecodeConfigTruncated(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 13, 7))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var p, j bytes.Buffer
	_ = png.Encode(&p, img)
	_ = jpeg.Encode(&j, img, nil)
	pal := image.NewPaletted(image.Rect(0, 0, 5, 3), color.Palette{color.Black, color.White})
	var pp bytes.Buffer
	_ = png.Encode(&pp, pal)
	files := map[string][]byte{"png": p.Bytes(), "jpeg": j.Bytes(), "paletted": pp.Bytes()}
	if ws, _ := filepath.Glob(filepath.Join("..", "*", "*", "*.webp")); len(ws) > 0 {
		if b, err := os.ReadFile(ws[0]); err == nil {
			files["webp"] = b
		}
	}
	for name, data := range files {
		for n := 0; n <= len(data); n++ {
			c1, f1, e1 := image.DecodeConfig(bytes.NewReader(data[:n]))
			c2, f2, e2 := DecodeConfig(data[:n])
			if fmt.Sprint(c1, f1, e1) != fmt.Sprint(c2, f2, e2) {
				t.Fatalf("%s[:%d]: %v %q %v, image.DecodeConfig %v %q %v", name, n, c2, f2, e2, c1, f1, e1)
			}
		}
	}
}

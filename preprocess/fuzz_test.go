package preprocess

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"
)

// FuzzDecodeImage: any bytes are an image within the pixel limit, or a
// bad or too-large image error; never a panic, and never more pixels than
// the limit.
func FuzzDecodeImage(f *testing.F) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(jpg.Bytes())
	f.Add([]byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeImage(data, limit)
		if err != nil {
			if !errors.Is(err, ErrBadImage) && !errors.Is(err, ErrImageTooLarge) {
				t.Fatalf("error of neither kind: %v", err)
			}
			return
		}
		if b := img.Bounds(); b.Dx()*b.Dy() > limit {
			t.Fatalf("%v decoded past the limit of %d pixels", b, limit)
		}
	})
}

package preprocess_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"reflect"
	"testing"

	"github.com/inferd/inferd/preprocess"
)

// TestDecodeConfigAsImage: DecodeConfig answers as image.DecodeConfig on
// a bytes.Reader, for images of every format and for bad data.
func TestDecodeConfigAsImage(t *testing.T) {
	var pngGray, pngPal, jpg bytes.Buffer
	if err := png.Encode(&pngGray, image.NewGray(image.Rect(0, 0, 64, 48))); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&pngPal, image.NewPaletted(image.Rect(0, 0, 3, 5), color.Palette{color.Black, color.White})); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 16, 9)), nil); err != nil {
		t.Fatal(err)
	}
	digit, err := os.ReadFile("../examples/digits/images/7_0.png")
	if err != nil {
		t.Fatal(err)
	}
	// The smallest lossless WebP: 1x1.
	webp := []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")
	inputs := [][]byte{pngGray.Bytes(), pngPal.Bytes(), jpg.Bytes(), digit, webp, pngGray.Bytes()[:20], pngGray.Bytes()[:8], jpg.Bytes()[:30],
		webp[:14], nil, []byte("x"), []byte("not an image at all, longer than any magic")}
	for i, data := range inputs {
		cfg, format, err := preprocess.DecodeConfig(data)
		wantCfg, wantFormat, wantErr := image.DecodeConfig(bytes.NewReader(data))
		if !reflect.DeepEqual(cfg, wantCfg) || format != wantFormat || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("input %d: %+v %q %v; image.DecodeConfig: %+v %q %v", i, cfg, format, err, wantCfg, wantFormat, wantErr)
		}
	}
	for i, want := range []string{"png", "png", "jpeg", "png", "webp"} {
		if _, format, err := preprocess.DecodeConfig(inputs[i]); format != want || err != nil {
			t.Errorf("input %d: format %q (%v), want %s", i, format, err, want)
		}
	}
}

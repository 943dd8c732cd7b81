package codec

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/inferd/inferd/preprocess"
)

func grayPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDecodeImagesCharge checks that images are charged from their
// headers before they are decoded, and that a refused charge stops the
// decoding with the charge's error.
func TestDecodeImagesCharge(t *testing.T) {
	errNo := errors.New("no memory")
	small, big := grayPNG(t, 10, 10), grayPNG(t, 100, 100)
	tests := []struct {
		name    string
		data    [][]byte
		limit   int64 // bytes the charge grants in all
		want    []string
		wantErr error
	}{
		{"fits", [][]byte{small, small}, 1 << 20, []string{"a (10x10 pixels)", "b (10x10 pixels)"}, nil},
		{"second image refused", [][]byte{small, big}, ImageBytes(image.Config{ColorModel: image.NewGray(image.Rect(0, 0, 1, 1)).ColorModel(), Width: 10, Height: 10}) + 1,
			[]string{"a (10x10 pixels)", "b (100x100 pixels)"}, errNo},
		{"too many images", make([][]byte, MaxImages+1), 1 << 40, nil, preprocess.ErrImageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			left := tt.limit
			charge := func(n int64, what string) error {
				got = append(got, what)
				if n > left {
					return errNo
				}
				left -= n
				return nil
			}
			_, err := DecodeImages(tt.data, NewBudget(0, charge), func(i int) string { return string(rune('a' + i)) })
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeImages error = %v, want %v", err, tt.wantErr)
			}
			if strings.Join(got, ";") != strings.Join(tt.want, ";") {
				t.Fatalf("charged %q, want %q", got, tt.want)
			}
		})
	}
}

func TestImageBytes(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 1, 1)).ColorModel()
	rgba := image.NewNRGBA(image.Rect(0, 0, 1, 1)).ColorModel()
	if got, want := ImageBytes(image.Config{ColorModel: gray, Width: 5000, Height: 5000}), int64(25e6*13+64<<10); got != want {
		t.Errorf("gray 5000x5000: %d, want %d", got, want)
	}
	if got, want := ImageBytes(image.Config{ColorModel: rgba, Width: 10, Height: 10}), int64(100*16+64<<10); got != want {
		t.Errorf("NRGBA 10x10: %d, want %d", got, want)
	}
}

// TestBudgetIsShared checks that images decoded one call at a time under
// one Budget share its pixels, and that an image's error is an
// *ImageError naming it.
func TestBudgetIsShared(t *testing.T) {
	img := grayPNG(t, 10, 10) // 100 pixels
	tests := []struct {
		name      string
		maxPixels int
		calls     [][]byte // one image per call
		wantName  string   // the image refused ("" for none)
		wantErr   error
	}{
		{"fits exactly", 200, [][]byte{img, img}, "", nil},
		{"the second over what is left", 150, [][]byte{img, img}, "image 1", preprocess.ErrImageTooLarge},
		{"spent before the third", 200, [][]byte{img, img, img}, "image 2", preprocess.ErrImageTooLarge},
		{"corrupt second", 0, [][]byte{img, img[:len(img)-10]}, "image 1", preprocess.ErrBadImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBudget(tt.maxPixels, nil)
			var err error
			for i, d := range tt.calls {
				if _, err = DecodeImages([][]byte{d}, b, func(int) string { return fmt.Sprintf("image %d", i) }); err != nil {
					break
				}
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("DecodeImages: %v", err)
				}
				return
			}
			var ie *ImageError
			if !errors.As(err, &ie) || ie.Name != tt.wantName || !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want an *ImageError naming %q of %v", err, tt.wantName, tt.wantErr)
			}
		})
	}
}

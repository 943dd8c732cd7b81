package codec

import (
	"fmt"
	"image"
	"image/color"

	"github.com/inferd/inferd/preprocess"
)

// MaxImages bounds the images of one request. Each image costs more than
// its pixels (decoder state, the preprocessing, a row of every activation
// of the model), so a body of many tiny images is refused before any is
// decoded.
const MaxImages = 1000

// Charge reserves bytes of memory for what (a description for errors)
// before they are allocated, or refuses with an error to return as is.
// A nil Charge reserves nothing.
type Charge func(bytes int64, what string) error

// Budget is what one request may spend on decoding its images: a number
// of pixels for all of them together, and its memory reservation
// (Charge). The images of a request decoded under one Budget share it,
// whether they are decoded in one batch or one at a time. A Budget is not
// safe for concurrent use.
type Budget struct {
	limit, left int // pixels
	charge      Charge
}

// NewBudget returns the budget of a request: maxPixels for all its images
// (0: preprocess.DefaultMaxPixels), each charged to charge (nil: none)
// from its header before it is decoded.
func NewBudget(maxPixels int, charge Charge) *Budget {
	if maxPixels <= 0 {
		maxPixels = preprocess.DefaultMaxPixels
	}
	return &Budget{limit: maxPixels, left: maxPixels, charge: charge}
}

// ImageError is the error of one of a request's images, naming the image
// as the request does (`file "a.png"`, `input "image" image 0`).
type ImageError struct {
	Name string
	Err  error
}

func (e *ImageError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *ImageError) Unwrap() error { return e.Err }

// CheckImageCount refuses a request of more than MaxImages images.
func CheckImageCount(n int) error {
	if n > MaxImages {
		return fmt.Errorf("%w: the request has %d images, over the limit of %d per request", preprocess.ErrImageTooLarge, n, MaxImages)
	}
	return nil
}

// DecodeImages decodes images under b (nil: a budget of
// preprocess.DefaultMaxPixels and no charge), each checked from its header
// before its pixels are decoded, and charged from its header first
// (ImageBytes). More than MaxImages images are refused at once. name(i)
// names image i (a nil name or "": unnamed). A named image's decoding
// error is an *ImageError; a refused charge is returned as the Charge
// returned it, with the image named in its description.
func DecodeImages(data [][]byte, b *Budget, name func(int) string) ([]image.Image, error) {
	if b == nil {
		b = NewBudget(0, nil)
	}
	if err := CheckImageCount(len(data)); err != nil {
		return nil, err
	}
	if name == nil {
		name = func(int) string { return "" }
	}
	wrap := func(i int, err error) error {
		if n := name(i); n != "" {
			return &ImageError{Name: n, Err: err}
		}
		return err
	}
	imgs := make([]image.Image, len(data))
	for i, d := range data {
		if b.left <= 0 {
			return nil, wrap(i, fmt.Errorf("%w: the request's images exceed the limit of %d pixels", preprocess.ErrImageTooLarge, b.limit))
		}
		if err := chargeImage(d, b, func() string { return imageName(i, name) }); err != nil {
			return nil, err
		}
		img, err := preprocess.DecodeImage(d, b.left)
		if err != nil {
			return nil, wrap(i, err)
		}
		b.left -= img.Bounds().Dx() * img.Bounds().Dy()
		imgs[i] = img
	}
	return imgs, nil
}

// imageName names image i for budget errors.
func imageName(i int, name func(int) string) string {
	if n := name(i); n != "" {
		return n
	}
	return fmt.Sprintf("image %d", i)
}

// chargeImage charges b with what decoding an image will take, read from
// its header; images whose header cannot be read, or that are over what is
// left of the pixel budget, are left to DecodeImage to refuse.
func chargeImage(data []byte, b *Budget, what func() string) error {
	if b.charge == nil {
		return nil
	}
	cfg, _, err := preprocess.DecodeConfig(data)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(b.left) {
		return nil
	}
	return b.charge(ImageBytes(cfg), fmt.Sprintf("%s (%dx%d pixels)", what(), cfg.Width, cfg.Height))
}

// ImageBytes estimates the memory an image takes from its header: the
// decoded pixels (by color model) plus a float32 tensor of three channels
// at full size (what preprocessing may hold before resizing) and a fixed
// allowance for the decoder.
func ImageBytes(cfg image.Config) int64 {
	const floatBytes, decoderBytes = 3 * 4, 64 << 10
	px := int64(cfg.Width) * int64(cfg.Height)
	return px*int64(pixelBytes(cfg.ColorModel)+floatBytes) + decoderBytes
}

// pixelBytes is the size of a decoded pixel of a color model (8, the
// largest, for models it does not know).
func pixelBytes(m color.Model) int {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

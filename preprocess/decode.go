package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG
	_ "image/png"  // register PNG
	"io"

	_ "golang.org/x/image/webp" // register WebP
)

// ErrBadImage marks payloads that are not a decodable image (400).
var ErrBadImage = errors.New("bad image")

// ErrImageTooLarge marks images over the pixel limit (413).
var ErrImageTooLarge = errors.New("image too large")

// DefaultMaxPixels bounds the pixel count of a request image. A small
// compressed file can declare a huge canvas (a decompression bomb); the
// limit is checked on the header before any pixel is decoded.
const DefaultMaxPixels = 25_000_000

// Formats lists the image formats DecodeImage accepts.
var Formats = []string{"png", "jpeg", "webp"}

// DecodeConfig is image.DecodeConfig of an image in memory, without the
// 4 KiB bufio.Reader image.DecodeConfig wraps a bytes.Reader in.
func DecodeConfig(data []byte) (image.Config, string, error) {
	return image.DecodeConfig(&peekReader{data: data})
}

// peekReader reads a byte slice and peeks into it as bufio.Reader.Peek
// does (fewer bytes than asked, with io.EOF, at the end).
type peekReader struct{ data []byte }

func (r *peekReader) Read(b []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *peekReader) Peek(n int) ([]byte, error) {
	if n > len(r.data) {
		return r.data, io.EOF
	}
	return r.data[:n], nil
}

// DecodeImage decodes a PNG, JPEG or WebP image after checking from its
// header that it has at most maxPixels pixels (0 means DefaultMaxPixels).
func DecodeImage(data []byte, maxPixels int) (image.Image, error) {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	if img, ok, err := decodePNG(data, maxPixels); ok {
		return img, err
	}
	cfg, format, err := DecodeConfig(data)
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, fmt.Errorf("%w: not a PNG, JPEG or WebP image", ErrBadImage)
		}
		return nil, fmt.Errorf("%w: cannot read image header: %v", ErrBadImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %s image has no pixels (%dx%d)", ErrBadImage, format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: %s image is %dx%d, over the limit of %d pixels", ErrImageTooLarge, format, cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: corrupt or truncated %s image: %v", ErrBadImage, format, err)
	}
	return img, nil
}

package preprocess

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/tensor"
)

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeImage(t *testing.T) {
	rgba := image.NewRGBA(image.Rect(0, 0, 20, 10))
	good := encodePNG(t, rgba)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, rgba, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		max     int
		wantErr error
		msg     string
	}{
		{"png", good, 0, nil, ""},
		{"jpeg", jb.Bytes(), 0, nil, ""},
		{"at the limit", good, 200, nil, ""},
		{"over the limit", good, 199, ErrImageTooLarge, "png image is 20x10, over the limit of 199 pixels"},
		{"bomb", testutil.PNGBomb(100000, 100000), 0, ErrImageTooLarge, "100000x100000"},
		{"truncated", good[:len(good)/2], 0, ErrBadImage, "corrupt or truncated png image"},
		{"text", []byte("hello, this is not an image"), 0, ErrBadImage, "not a PNG, JPEG or WebP image"},
		{"empty", nil, 0, ErrBadImage, "not a PNG, JPEG or WebP image"},
		{"header only", good[:20], 0, ErrBadImage, "cannot read image header"},
		{"zero width", testutil.PNGBomb(0, 5), 0, ErrBadImage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := DecodeImage(tt.data, tt.max)
			if tt.wantErr == nil {
				if err != nil || img.Bounds().Dx() != 20 {
					t.Fatalf("DecodeImage = %v, %v", img, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.msg)
			}
		})
	}
}

func pipeline(t *testing.T, yaml string) *Image {
	t.Helper()
	c, err := model.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return NewImage(c.Preprocess.Image)
}

// The area filter must reproduce exactly what the training script computed
// with PIL's BOX filter from the committed 64x64 images.
func TestAreaResizeMatchesReference(t *testing.T) {
	ref := testutil.LoadReference(t)
	p := pipeline(t, `
inputs: [{name: x, datatype: FP32, shape: [-1, 1, 8, 8]}]
preprocess: {image: {color: gray, resize: {width: 8, height: 8, filter: area}, scale: 1}}`)
	for _, im := range ref.Images {
		img, err := DecodeImage(testutil.ReadFile(t, filepath.Join(testutil.DigitsDir(), "images", im.File)), 0)
		if err != nil {
			t.Fatal(err)
		}
		x, err := p.Tensor([]image.Image{img})
		if err != nil {
			t.Fatal(err)
		}
		got := tensor.Data[float32](x)
		for i, want := range im.Pixels {
			if got[i] != float32(want) {
				t.Fatalf("%s: pixel %d = %v, want %d", im.File, i, got[i], want)
			}
		}
	}
}

func TestLayoutsAndNormalization(t *testing.T) {
	// A 2x1 image: a red pixel and a blue one.
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	img.Set(1, 0, color.RGBA{B: 255, A: 255})
	tests := []struct {
		name  string
		yaml  string
		shape []int
		want  []float32
	}{
		{"nchw rgb", `{color: rgb, scale: 1}`, []int{1, 3, 1, 2}, []float32{255, 0, 0, 0, 0, 255}},
		{"nhwc rgb", `{color: rgb, scale: 1, layout: NHWC}`, []int{1, 1, 2, 3}, []float32{255, 0, 0, 0, 0, 255}},
		{"bgr", `{color: bgr, scale: 1}`, []int{1, 3, 1, 2}, []float32{0, 255, 0, 0, 255, 0}},
		{"mean std", `{color: rgb, mean: [0.5, 0, 1], std: [0.5, 1, 2]}`, []int{1, 3, 1, 2}, []float32{1, -1, 0, 0, -0.5, 0}},
		{"gray", `{color: gray, scale: 1}`, []int{1, 1, 1, 2}, []float32{76, 29}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pipeline(t, "inputs: [{name: x, datatype: FP32}]\npreprocess: {image: "+tt.yaml+"}")
			x, err := p.Tensor([]image.Image{img})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(x.Shape(), tt.shape) {
				t.Fatalf("shape %v, want %v", x.Shape(), tt.shape)
			}
			got := tensor.Data[float32](x)
			for i := range tt.want {
				if d := got[i] - tt.want[i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("data %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestResizeAndCrop(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	for y := range 200 {
		for x := range 300 {
			img.SetGray(x, y, color.Gray{Y: uint8(x % 256)})
		}
	}
	p := pipeline(t, `
inputs: [{name: x, datatype: FP32, shape: [-1, 3, 224, 224]}]
preprocess: {image: {resize: {shorter_side: 256}, center_crop: {width: 224, height: 224}}}`)
	x, err := p.Tensor([]image.Image{img, img})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.Shape(), []int{2, 3, 224, 224}) {
		t.Fatalf("shape %v", x.Shape())
	}
	if w, h := shorterSide(300, 200, 256); w != 384 || h != 256 {
		t.Errorf("shorterSide = %d, %d", w, h)
	}
	small := pipeline(t, `
inputs: [{name: x, datatype: FP32, shape: [-1, 3, 224, 224]}]
preprocess: {image: {center_crop: {width: 224, height: 224}}}`)
	if _, err := small.Tensor([]image.Image{image.NewRGBA(image.Rect(0, 0, 100, 100))}); !errors.Is(err, ErrBadImage) || !strings.Contains(err.Error(), "smaller than the center crop") {
		t.Errorf("small image: %v", err)
	}
	mixed := pipeline(t, "inputs: [{name: x, datatype: FP32}]\npreprocess: {image: {}}")
	if _, err := mixed.Tensor([]image.Image{image.NewRGBA(image.Rect(0, 0, 4, 4)), image.NewRGBA(image.Rect(0, 0, 5, 4))}); !errors.Is(err, ErrBadImage) || !strings.Contains(err.Error(), "must match") {
		t.Errorf("mixed sizes: %v", err)
	}
}

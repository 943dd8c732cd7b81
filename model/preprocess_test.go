package model

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/inferd/inferd/tensor"
)

// TestImageForModel checks that image preprocessing takes what config.yaml
// leaves unset from the model's input, and refuses what cannot fit.
func TestImageForModel(t *testing.T) {
	f32 := func(name string, shape ...int) TensorSpec {
		return TensorSpec{Name: name, DataType: tensor.Float32, Shape: shape}
	}
	tests := []struct {
		name   string
		yaml   string // the preprocess.image section
		inputs []TensorSpec
		want   string // "input layout color WxH", or an error text
	}{
		{"all from the model", "{}", []TensorSpec{f32("x", -1, 3, 224, 224)}, "x NCHW rgb 224x224"},
		{"gray", "{}", []TensorSpec{f32("x", -1, 1, 8, 8)}, "x NCHW gray 8x8"},
		{"nhwc", "{}", []TensorSpec{f32("x", 1, 32, 32, 3)}, "x NHWC rgb 32x32"},
		{"given layout wins", "{layout: NCHW}", []TensorSpec{f32("x", -1, 32, 32, 3)}, `color: rgb gives 3 channels but input "x" has 32`},
		{"given color wins", "{color: gray}", []TensorSpec{f32("x", -1, 3, 8, 8)}, `color: gray gives 1 channels but input "x" has 3`},
		{"given resize wins", "{resize: {width: 16, height: 16}}", []TensorSpec{f32("x", -1, 3, 8, 8)}, "resize: produces 16x16 images"},
		{"crop", "{resize: {shorter_side: 256}, center_crop: {width: 224, height: 224}}", []TensorSpec{f32("x", -1, 3, 224, 224)}, "x NCHW rgb 224x224"},
		{"variable size", "{}", []TensorSpec{f32("x", -1, 3, -1, -1)}, "x NCHW rgb 0x0"},
		{"named input", "{input: b}", []TensorSpec{f32("a", -1, 4), f32("b", -1, 3, 8, 8)}, "b NCHW rgb 8x8"},
		{"two inputs", "{}", []TensorSpec{f32("a", -1, 4), f32("b", -1, 3, 8, 8)}, "input: required when the model has 2 inputs ([a b])"},
		{"unknown input", "{input: c}", []TensorSpec{f32("a", -1, 3, 8, 8)}, `input: the model has no input "c" (it has [a])`},
		{"rank", "{}", []TensorSpec{f32("x", -1, 64)}, "needs 4 dimensions"},
		{"mean for gray", "{mean: [0.1, 0.2, 0.3]}", []TensorSpec{f32("x", -1, 1, 8, 8)}, "mean: has 3 values; want 1 or 1 for color gray"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte("preprocess:\n  image: " + tt.yaml + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			p := c.Preprocess.Image
			before := *p
			got, err := p.ForModel(tt.inputs)
			if !reflect.DeepEqual(*p, before) {
				t.Errorf("ForModel changed the config's section: %+v", *p)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want %q", err, tt.want)
				}
				return
			}
			w, h, _ := got.OutputSize()
			if s := fmt.Sprintf("%s %s %s %dx%d", got.Input, got.Layout, got.Color, w, h); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}

// TestImageWithoutDeclaredInputs checks that config.yaml need not restate
// the model's inputs for image preprocessing: the checks wait for the load.
func TestImageWithoutDeclaredInputs(t *testing.T) {
	for _, yaml := range []string{
		"preprocess: {image: {}}\n",
		"preprocess: {image: {input: pixels, color: gray}}\n",
	} {
		if _, err := Parse([]byte(yaml)); err != nil {
			t.Errorf("Parse(%q): %v", yaml, err)
		}
	}
}

// TestImagePreprocessSteps covers the image section's checks that come
// before its input is bound (checkSteps, Resize.validate) and the binding
// itself (input), beside the bad fixtures.
func TestImagePreprocessSteps(t *testing.T) {
	ok := func() *ImagePreprocess { return &ImagePreprocess{Color: "rgb", Layout: "NCHW"} }
	two := &Config{Inputs: []TensorSpec{{Name: "a"}, {Name: "b"}}}
	tests := []struct {
		name string
		edit func(p *ImagePreprocess)
		c    *Config
		want string // "" for none
	}{
		{"plain", func(*ImagePreprocess) {}, &Config{Inputs: []TensorSpec{{Name: "a"}}}, ""},
		{"color", func(p *ImagePreprocess) { p.Color = "cmyk" }, nil, `color: "cmyk" is not one of gray, rgb, bgr`},
		{"layout", func(p *ImagePreprocess) { p.Layout = "CHW" }, nil, `layout: "CHW" is not one of NCHW, NHWC`},
		{"filter", func(p *ImagePreprocess) { p.Resize = &Resize{Filter: "cubic", ShorterSide: 8} }, nil, `resize.filter: "cubic" is not one of [area bilinear nearest catmull-rom]`},
		{"negative size", func(p *ImagePreprocess) { p.Resize = &Resize{Filter: "bilinear", Width: -1} }, nil, "resize: sizes must be positive"},
		{"both sizes", func(p *ImagePreprocess) { p.Resize = &Resize{Filter: "bilinear", ShorterSide: 8, Width: 8} }, nil, "resize: set either shorter_side or width and height, not both"},
		{"width only", func(p *ImagePreprocess) { p.Resize = &Resize{Filter: "bilinear", Width: 8} }, nil, "resize: needs width and height, or shorter_side"},
		{"crop", func(p *ImagePreprocess) { p.CenterCrop = &Size{Width: 8} }, nil, "center_crop: needs positive width and height"},
		{"input not named", func(*ImagePreprocess) {}, two, "input: required when the model declares 2 inputs"},
		{"input unknown", func(p *ImagePreprocess) { p.Input = "c" }, two, `input: "c" is not a declared input`},
		{"input named", func(p *ImagePreprocess) { p.Input = "b" }, two, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok()
			tt.edit(p)
			err := p.checkSteps()
			if err == nil && tt.c != nil {
				_, err = p.input(tt.c)
			}
			if got := errString(err); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

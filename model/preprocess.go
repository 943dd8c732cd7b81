package model

import (
	"fmt"
	"slices"

	"github.com/inferd/inferd/tensor"
)

// Preprocess describes how request payloads become tensors.
type Preprocess struct {
	Image *ImagePreprocess `yaml:"image" json:"image,omitempty"`
}

// ImagePreprocess turns a decoded image into the model's input tensor:
// color conversion, resize, center crop, then per channel
// (pixel*scale - mean) / std, laid out as NCHW or NHWC with a batch
// dimension first.
type ImagePreprocess struct {
	// Input names the image input; default: the only input.
	Input string `yaml:"input" json:"input,omitempty"`
	// Color is gray, rgb or bgr (default rgb).
	Color string `yaml:"color" json:"color,omitempty"`
	// Resize scales the image before cropping; omitted means no resize.
	Resize *Resize `yaml:"resize" json:"resize,omitempty"`
	// CenterCrop cuts the centre of the (resized) image.
	CenterCrop *Size `yaml:"center_crop" json:"center_crop,omitempty"`
	// Scale multiplies 8-bit pixel values (default 1/255, giving [0,1]).
	Scale *float64 `yaml:"scale" json:"scale,omitempty"`
	// Mean and Std normalise each channel after scaling (one value, or one
	// per channel). Defaults 0 and 1.
	Mean []float64 `yaml:"mean" json:"mean,omitempty"`
	Std  []float64 `yaml:"std" json:"std,omitempty"`
	// Layout is NCHW (default) or NHWC.
	Layout string `yaml:"layout" json:"layout,omitempty"`
}

// Resize sets the target size: either Width and Height, or ShorterSide,
// which keeps the aspect ratio.
type Resize struct {
	Width       int `yaml:"width" json:"width,omitempty"`
	Height      int `yaml:"height" json:"height,omitempty"`
	ShorterSide int `yaml:"shorter_side" json:"shorter_side,omitempty"`
	// Filter is area (box average), bilinear (default), nearest or catmull-rom.
	Filter string `yaml:"filter" json:"filter,omitempty"`
}

// Size is a width and a height in pixels.
type Size struct {
	Width  int `yaml:"width" json:"width,omitempty"`
	Height int `yaml:"height" json:"height,omitempty"`
}

// Resize filters.
var resizeFilters = []string{"area", "bilinear", "nearest", "catmull-rom"}

func (p *ImagePreprocess) setDefaults() {
	if p.Color == "" {
		p.Color = "rgb"
	}
	if p.Layout == "" {
		p.Layout = "NCHW"
	}
	if p.Scale == nil {
		s := 1.0 / 255
		p.Scale = &s
	}
	if p.Resize != nil && p.Resize.Filter == "" {
		p.Resize.Filter = "bilinear"
	}
}

// Channels is the number of color channels the model receives.
func (p *ImagePreprocess) Channels() int {
	if p.Color == "gray" {
		return 1
	}
	return 3
}

// OutputSize is the image size after resize and crop; ok is false when it
// depends on the image (resize by shorter side without a crop, or nothing).
func (p *ImagePreprocess) OutputSize() (w, h int, ok bool) {
	if p.CenterCrop != nil {
		return p.CenterCrop.Width, p.CenterCrop.Height, true
	}
	if p.Resize != nil && p.Resize.ShorterSide == 0 {
		return p.Resize.Width, p.Resize.Height, true
	}
	return 0, 0, false
}

func (pp *Preprocess) validate(c *Config) error {
	if pp.Image == nil {
		return nil
	}
	if err := pp.Image.validate(c); err != nil {
		return fmt.Errorf("image.%w", err)
	}
	return nil
}

func (p *ImagePreprocess) validate(c *Config) error {
	if !slices.Contains([]string{"gray", "rgb", "bgr"}, p.Color) {
		return fmt.Errorf("color: %q is not one of gray, rgb, bgr", p.Color)
	}
	if p.Layout != "NCHW" && p.Layout != "NHWC" {
		return fmt.Errorf("layout: %q is not one of NCHW, NHWC", p.Layout)
	}
	if r := p.Resize; r != nil {
		if !slices.Contains(resizeFilters, r.Filter) {
			return fmt.Errorf("resize.filter: %q is not one of %v", r.Filter, resizeFilters)
		}
		switch {
		case r.ShorterSide < 0 || r.Width < 0 || r.Height < 0:
			return fmt.Errorf("resize: sizes must be positive")
		case r.ShorterSide > 0 && (r.Width != 0 || r.Height != 0):
			return fmt.Errorf("resize: set either shorter_side or width and height, not both")
		case r.ShorterSide == 0 && (r.Width == 0 || r.Height == 0):
			return fmt.Errorf("resize: needs width and height, or shorter_side")
		}
	}
	if cc := p.CenterCrop; cc != nil && (cc.Width <= 0 || cc.Height <= 0) {
		return fmt.Errorf("center_crop: needs positive width and height")
	}
	ch := p.Channels()
	for key, vals := range map[string][]float64{"mean": p.Mean, "std": p.Std} {
		if len(vals) != 0 && len(vals) != 1 && len(vals) != ch {
			return fmt.Errorf("%s: has %d values; want 1 or %d for color %s", key, len(vals), ch, p.Color)
		}
	}
	for i, s := range p.Std {
		if s == 0 {
			return fmt.Errorf("std[%d]: must not be zero", i)
		}
	}
	if p.Input == "" {
		if len(c.Inputs) != 1 {
			return fmt.Errorf("input: required when the model declares %d inputs", len(c.Inputs))
		}
		p.Input = c.Inputs[0].Name
	}
	in, ok := c.Input(p.Input)
	if !ok {
		return fmt.Errorf("input: %q is not a declared input", p.Input)
	}
	return p.CheckInput(in)
}

// CheckInput checks that the image pipeline produces what the input
// declares. A spec without a shape is checked only for its datatype; the
// server checks again with the model file's shape when a version loads.
func (p *ImagePreprocess) CheckInput(in TensorSpec) error {
	if in.DataType != tensor.Float32 {
		return fmt.Errorf("input: %q has datatype %v; image preprocessing produces FP32", in.Name, in.DataType)
	}
	if in.Shape == nil {
		return nil
	}
	if len(in.Shape) != 4 {
		return fmt.Errorf("input: %q has shape %v; image preprocessing needs 4 dimensions (%s with the batch first)", in.Name, in.Shape, p.Layout)
	}
	c, h, w := in.Shape[1], in.Shape[2], in.Shape[3]
	if p.Layout == "NHWC" {
		h, w, c = in.Shape[1], in.Shape[2], in.Shape[3]
	}
	if c != -1 && c != p.Channels() {
		return fmt.Errorf("color: %s gives %d channels but input %q has %d (shape %v, layout %s)", p.Color, p.Channels(), in.Name, c, in.Shape, p.Layout)
	}
	ow, oh, fixed := p.OutputSize()
	if !fixed && (w != -1 || h != -1) {
		return fmt.Errorf("resize: input %q needs %dx%d images; set resize width and height or center_crop", in.Name, w, h)
	}
	if fixed && ((w != -1 && w != ow) || (h != -1 && h != oh)) {
		return fmt.Errorf("resize: produces %dx%d images but input %q expects %dx%d (width x height)", ow, oh, in.Name, w, h)
	}
	return nil
}

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
	// Input names the image input; default: the only input, of config.yaml
	// or else of the model file.
	Input string `yaml:"input" json:"input,omitempty"`
	// Color is gray, rgb or bgr (default gray when the input has one
	// channel, else rgb).
	Color string `yaml:"color" json:"color,omitempty"`
	// Resize scales the image before cropping; omitted means no resize,
	// unless the input has a fixed height and width and there is no
	// CenterCrop either: then images are resized to that size.
	Resize *Resize `yaml:"resize" json:"resize,omitempty"`
	// CenterCrop cuts the centre of the (resized) image.
	CenterCrop *Size `yaml:"center_crop" json:"center_crop,omitempty"`
	// Scale multiplies 8-bit pixel values (default 1/255, giving [0,1]).
	Scale *float64 `yaml:"scale" json:"scale,omitempty"`
	// Mean and Std normalise each channel after scaling (one value, or one
	// per channel). Defaults 0 and 1.
	Mean []float64 `yaml:"mean" json:"mean,omitempty"`
	Std  []float64 `yaml:"std" json:"std,omitempty"`
	// Layout is NCHW or NHWC (default NHWC when the input's last dimension
	// is 1 or 3 and its second is not, else NCHW).
	Layout string `yaml:"layout" json:"layout,omitempty"`

	// colorDefault and layoutDefault record that Color and Layout were
	// not given, so that ForModel may take them from the model's input.
	colorDefault, layoutDefault bool
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
		p.Color, p.colorDefault = "rgb", true
	}
	if p.Layout == "" {
		p.Layout, p.layoutDefault = "NCHW", true
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

// validate checks the image section and binds it to its input: named,
// or the only one declared; without declared inputs, ForModel binds it at
// load.
func (p *ImagePreprocess) validate(c *Config) error {
	if err := p.checkSteps(); err != nil {
		return err
	}
	if len(c.Inputs) == 0 {
		// The model file declares the inputs: ForModel checks them at load.
		return p.checkNormalize()
	}
	in, err := p.input(c)
	if err != nil {
		return err
	}
	if len(in.Shape) == 4 {
		p.fromShape(in.Shape)
	}
	if err := p.checkNormalize(); err != nil {
		return err
	}
	return p.CheckInput(in)
}

// checkSteps checks the color, layout, resize and center crop.
func (p *ImagePreprocess) checkSteps() error {
	if !slices.Contains([]string{"gray", "rgb", "bgr"}, p.Color) {
		return fmt.Errorf("color: %q is not one of gray, rgb, bgr", p.Color)
	}
	if p.Layout != "NCHW" && p.Layout != "NHWC" {
		return fmt.Errorf("layout: %q is not one of NCHW, NHWC", p.Layout)
	}
	if r := p.Resize; r != nil {
		if err := r.validate(); err != nil {
			return err
		}
	}
	if cc := p.CenterCrop; cc != nil && (cc.Width <= 0 || cc.Height <= 0) {
		return fmt.Errorf("center_crop: needs positive width and height")
	}
	return nil
}

// validate checks the filter and that the sizes are either shorter_side
// or width and height.
func (r *Resize) validate() error {
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
	return nil
}

// input returns the declared input the image fills, setting Input to the
// only one when it is not named.
func (p *ImagePreprocess) input(c *Config) (TensorSpec, error) {
	if p.Input == "" {
		if len(c.Inputs) != 1 {
			return TensorSpec{}, fmt.Errorf("input: required when the model declares %d inputs", len(c.Inputs))
		}
		p.Input = c.Inputs[0].Name
	}
	in, ok := c.Input(p.Input)
	if !ok {
		return TensorSpec{}, fmt.Errorf("input: %q is not a declared input", p.Input)
	}
	return in, nil
}

// checkNormalize checks mean and std against the channel count.
func (p *ImagePreprocess) checkNormalize() error {
	ch := p.Channels()
	for _, key := range []string{"mean", "std"} {
		vals := p.Mean
		if key == "std" {
			vals = p.Std
		}
		if len(vals) != 0 && len(vals) != 1 && len(vals) != ch {
			return fmt.Errorf("%s: has %d values; want 1 or %d for color %s", key, len(vals), ch, p.Color)
		}
	}
	for i, s := range p.Std {
		if s == 0 {
			return fmt.Errorf("std[%d]: must not be zero", i)
		}
	}
	return nil
}

// ForModel returns a copy of p completed from the model's effective
// inputs (config.yaml's, else the model file's), checked with CheckInput.
// The input defaults to the only one; where config.yaml leaves them
// unset, the layout and color follow the input's shape and, without
// resize or center_crop, images are resized to the input's fixed height
// and width. p itself, shared by the versions of a model, is not changed.
func (p *ImagePreprocess) ForModel(inputs []TensorSpec) (*ImagePreprocess, error) {
	q := *p
	if q.Input == "" {
		if len(inputs) != 1 {
			return nil, fmt.Errorf("input: required when the model has %d inputs (%v)", len(inputs), specNames(inputs))
		}
		q.Input = inputs[0].Name
	}
	in, ok := findSpec(inputs, q.Input)
	if !ok {
		return nil, fmt.Errorf("input: the model has no input %q (it has %v)", q.Input, specNames(inputs))
	}
	if len(in.Shape) == 4 {
		q.fromShape(in.Shape)
	}
	if err := q.checkNormalize(); err != nil {
		return nil, err
	}
	if err := q.CheckInput(in); err != nil {
		return nil, err
	}
	return &q, nil
}

// fromShape fills what config.yaml left unset from a 4-dimensional input
// shape: layout, color and the resize to a fixed height and width.
func (p *ImagePreprocess) fromShape(shape []int) {
	isChannels := func(d int) bool { return d == 1 || d == 3 }
	if p.Layout == "" || p.layoutDefault {
		p.Layout = "NCHW"
		if isChannels(shape[3]) && !isChannels(shape[1]) {
			p.Layout = "NHWC"
		}
	}
	c, h, w := shape[1], shape[2], shape[3]
	if p.Layout == "NHWC" {
		h, w, c = shape[1], shape[2], shape[3]
	}
	if p.Color == "" || p.colorDefault {
		p.Color = "rgb"
		if c == 1 {
			p.Color = "gray"
		}
	}
	if p.Resize == nil && p.CenterCrop == nil && w > 0 && h > 0 {
		p.Resize = &Resize{Width: w, Height: h, Filter: "bilinear"}
	}
}

func specNames(specs []TensorSpec) []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return names
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

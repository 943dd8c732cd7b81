package pipeline

import "github.com/inferd/inferd/tensor"

// CropResize runs the crop_resize step's own code on images FP32
// [N, C, H, W] and boxes FP32 [M, 4], to width×height crops: the
// benchmarks' client crops with it, so that it does the pipeline's work at
// the pipeline's cost.
func CropResize(images, boxes *tensor.Tensor, width, height int) (*tensor.Tensor, error) {
	out := map[string]*tensor.Tensor{}
	if err := (cropResizeOp{Width: width, Height: height}).run(map[string]*tensor.Tensor{"images": images, "boxes": boxes}, out); err != nil {
		return nil, err
	}
	return out["crops"], nil
}

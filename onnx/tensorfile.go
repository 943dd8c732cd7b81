package onnx

import (
	"fmt"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
	"google.golang.org/protobuf/proto"
)

// DecodeTensor decodes a serialized TensorProto, such as the input_0.pb and
// output_0.pb files of the ONNX backend test suite. External data needs
// WithBaseDir. Errors wrap ErrInvalidModel.
func DecodeTensor(data []byte, opts ...Option) (*tensor.Tensor, error) {
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(data, &tp); err != nil {
		return nil, invalid(fmt.Errorf("parse TensorProto: %w", err))
	}
	d := newDecoder(opts)
	defer d.close()
	t, err := d.tensor(&tp)
	return t, invalid(err)
}

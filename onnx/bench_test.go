package onnx

import (
	"fmt"
	"testing"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// BenchmarkDecode decodes a model whose weights are one raw float32
// initializer of the given size, the common case for real models.
func BenchmarkDecode(b *testing.B) {
	for _, mib := range []int{1, 16} {
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			n := mib << 18 // float32 elements
			g := reluGraph()
			g.Initializer = []*onnxpb.TensorProto{{Name: proto.String("W"), DataType: proto.Int32(tFloat),
				Dims: []int64{int64(n)}, RawData: make([]byte, 4*n)}}
			data := marshal(b, modelProto(g))
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

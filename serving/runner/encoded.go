package runner

import (
	"context"

	"github.com/inferd/inferd/tensor"
)

// Encoded is the encoded form of an input that the codec decoded before
// the runner ran: the images as the client sent them. Wrappers that keep
// requests (payload capture) store these bytes instead of the decoded
// pixels. One of Images and Strings is set; neither may be modified.
type Encoded struct {
	// Input names the input; Decoded is the tensor the codec made of it
	// (a wrapper uses Encoded only while the input still is Decoded).
	Input   string
	Decoded *tensor.Tensor
	Images  [][]byte
	Strings []string
}

// Len is the number of encoded images.
func (e *Encoded) Len() int { return max(len(e.Images), len(e.Strings)) }

// AppendImage appends image i's bytes to buf.
func (e *Encoded) AppendImage(buf []byte, i int) []byte {
	if e.Images != nil {
		return append(buf, e.Images[i]...)
	}
	return append(buf, e.Strings[i]...)
}

type encodedKey struct{}

// WithEncoded returns ctx carrying e.
func WithEncoded(ctx context.Context, e *Encoded) context.Context {
	return context.WithValue(ctx, encodedKey{}, e)
}

// EncodedOf returns the Encoded in ctx for input name when that input is
// still the tensor decoded from it, else nil.
func EncodedOf(ctx context.Context, inputs map[string]*tensor.Tensor) *Encoded {
	e, _ := ctx.Value(encodedKey{}).(*Encoded)
	if e == nil || inputs[e.Input] != e.Decoded {
		return nil
	}
	return e
}

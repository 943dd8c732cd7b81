// Package tensor defines inferd's Tensor: an element type, a shape and a flat,
// row-major slice of data. Engines, protocol codecs and preprocessing all
// exchange tensors of this type.
package tensor

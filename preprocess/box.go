package preprocess

import (
	"encoding/binary"
	"image"
)

// boxShrink is the `area` resize for the common case of a whole-number
// reduction (every destination pixel averages an exact kx x ky block) of a
// Gray or RGBA image: the same arithmetic as x/image/draw's kernel scaler
// with areaKernel, in the same order, so the pixels are bit-identical, at a
// fraction of the cost (no weight tables, no float intermediate image).
// It reports false, leaving dst untouched, for any other case.
func boxShrink(dst *image.RGBA, src image.Image) bool {
	sb, db := src.Bounds(), dst.Bounds()
	sw, sh, dw, dh := sb.Dx(), sb.Dy(), db.Dx(), db.Dy()
	if dw <= 0 || dh <= 0 || sw%dw != 0 || sh%dh != 0 {
		return false
	}
	b := box{kx: sw / dw, ky: sh / dh}
	// The scaler's weights: 1 for each of the kx (ky) source pixels,
	// normalised by 1/kx (1/ky); the horizontal pass also rescales from
	// 16-bit colour to [0, 1].
	b.invX = (1 / float64(b.kx)) / 0xffff
	b.invY = 1 / float64(b.ky)
	switch s := src.(type) {
	case *image.Gray:
		b.gray(dst, s)
	case *image.RGBA:
		b.rgba(dst, s)
	default:
		return false
	}
	return true
}

// box is a whole-number reduction: kx×ky source pixels a destination
// pixel, with the scaler's weights.
type box struct {
	kx, ky     int
	invX, invY float64
}

// gray shrinks a Gray image into dst.
func (b box) gray(dst *image.RGBA, s *image.Gray) {
	sb, db := s.Bounds(), dst.Bounds()
	sw, dw, dh := sb.Dx(), db.Dx(), db.Dy()
	kx, ky := b.kx, b.ky
	// acc holds one destination row's vertical sums (a few hundred
	// pixels at most in practice; larger rows fall back to the heap).
	var buf [256]float64
	acc := buf[:0]
	if dw <= len(buf) {
		acc = buf[:dw]
	} else {
		acc = make([]float64, dw)
	}
	pa := float64(ky) // gray is opaque: alpha 1 per row
	alpha := uint8(ftou(pa*b.invY) >> 8)
	for dy := range dh {
		clear(acc)
		for yy := dy * ky; yy < (dy+1)*ky; yy++ {
			o := s.PixOffset(sb.Min.X, sb.Min.Y+yy)
			row := s.Pix[o : o+sw]
			for dx := range acc {
				sum := sumBytes(row[dx*kx : dx*kx+kx])
				acc[dx] += float64(sum*0x101) * b.invX
			}
		}
		d := dst.PixOffset(db.Min.X, db.Min.Y+dy)
		for _, pr := range acc {
			v := uint8(ftou(min(pr, pa)*b.invY) >> 8)
			dst.Pix[d], dst.Pix[d+1], dst.Pix[d+2], dst.Pix[d+3] = v, v, v, alpha
			d += 4
		}
	}
}

// sumBytes is the sum of b's bytes, eight at a time in a word (the sum is
// exact, so the floats that follow are bit-identical).
func sumBytes(b []byte) uint32 {
	var sum uint32
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		x = x&0x00ff00ff00ff00ff + x>>8&0x00ff00ff00ff00ff // four 16-bit sums of two
		x = x&0x0000ffff0000ffff + x>>16&0x0000ffff0000ffff
		sum += uint32(x) + uint32(x>>32)
		b = b[8:]
	}
	for _, v := range b {
		sum += uint32(v)
	}
	return sum
}

// rgba shrinks an RGBA image into dst.
func (b box) rgba(dst *image.RGBA, s *image.RGBA) {
	sb, db := s.Bounds(), dst.Bounds()
	dw, dh := db.Dx(), db.Dy()
	kx, ky := b.kx, b.ky
	for dy := range dh {
		d := dst.PixOffset(db.Min.X, db.Min.Y+dy)
		for dx := range dw {
			var p [4]float64
			for yy := dy * ky; yy < (dy+1)*ky; yy++ {
				o := s.PixOffset(sb.Min.X+dx*kx, sb.Min.Y+yy)
				var sum [4]uint32
				row := s.Pix[o : o+4*kx]
				for i := 0; i < len(row); i += 4 {
					sum[0] += uint32(row[i]) * 0x101
					sum[1] += uint32(row[i+1]) * 0x101
					sum[2] += uint32(row[i+2]) * 0x101
					sum[3] += uint32(row[i+3]) * 0x101
				}
				for c := range p {
					p[c] += float64(sum[c]) * b.invX
				}
			}
			for c := range 3 {
				dst.Pix[d+c] = uint8(ftou(min(p[c], p[3])*b.invY) >> 8)
			}
			dst.Pix[d+3] = uint8(ftou(p[3]*b.invY) >> 8)
			d += 4
		}
	}
}

// ftou converts a colour in [0, 1] to 16 bits, rounding and clamping, as
// x/image/draw does.
func ftou(f float64) uint16 {
	i := int32(float64(0xffff*f) + 0.5)
	if i > 0xffff {
		return 0xffff
	}
	if i > 0 {
		return uint16(i)
	}
	return 0
}

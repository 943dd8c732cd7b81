package drift

import (
	"image"
	"math"
	"strconv"

	"github.com/inferd/inferd/preprocess"
)

// gridSize is the side of the grid of mean-brightness features of an
// encoded image: where the light is, so that a rotated or shifted picture
// differs from the reference even when its overall statistics do not.
const gridSize = 4

// maxSamples bounds the pixels read per image (larger images are read at
// a stride): summary features need no more, and drift stays cheap.
const maxSamples = 256 * 256

// encodedImageFeatures adds the summary features of an encoded image (a
// captured image input kept as sent): brightness and contrast (the mean
// and deviation of its luminance in [0, 1]), width, height, the channel
// means of a color image and a gridSize×gridSize grid of mean brightness.
// It reports false when data is not an image inferd decodes.
func encodedImageFeatures(r Row, name string, data string) bool {
	img, err := preprocess.DecodeImage([]byte(data), 0)
	if err != nil {
		return false
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	step := 1
	for (w/step)*(h/step) > maxSamples {
		step++
	}
	var sum, sq, rgb [3]float64
	var grid [gridSize * gridSize]float64
	var cells [gridSize * gridSize]int
	n, gray := 0, isGray(img)
	for y := b.Min.Y; y < b.Max.Y; y += step {
		for x := b.Min.X; x < b.Max.X; x += step {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			rv, gv, bv := float64(cr)/0xffff, float64(cg)/0xffff, float64(cb)/0xffff
			l := 0.299*rv + 0.587*gv + 0.114*bv
			sum[0] += l
			sq[0] += l * l
			rgb[0], rgb[1], rgb[2] = rgb[0]+rv, rgb[1]+gv, rgb[2]+bv
			cell := (y-b.Min.Y)*gridSize/h*gridSize + (x-b.Min.X)*gridSize/w
			grid[cell] += l
			cells[cell]++
			n++
		}
	}
	mean := sum[0] / float64(n)
	r.Num[name+".brightness"] = mean
	r.Num[name+".contrast"] = sqrtPos(sq[0]/float64(n) - mean*mean)
	r.Num[name+".width"], r.Num[name+".height"] = float64(w), float64(h)
	if !gray {
		for ch := range 3 {
			r.Num[name+".channel"+strconv.Itoa(ch)+".mean"] = rgb[ch] / float64(n)
		}
	}
	for i := range grid {
		if cells[i] > 0 {
			r.Num[name+".grid"+strconv.Itoa(i)] = grid[i] / float64(cells[i])
		}
	}
	return true
}

func isGray(img image.Image) bool {
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		return true
	}
	return false
}

func sqrtPos(v float64) float64 { return math.Sqrt(max(v, 0)) }

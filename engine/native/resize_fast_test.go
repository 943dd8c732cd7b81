package native

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/inferd/inferd/tensor"
)

// TestResizeFast compares the float32 fast path with the general one over
// modes, coordinate modes and scales (integer, fractional, shrinking).
func TestResizeFast(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	xs := []int{2, 3, 5, 7}
	x := tensor.MustFromSlice(randFloats(r, prod(xs)), xs...)
	for _, mode := range []string{"nearest", "linear", "cubic"} {
		for _, coord := range []string{"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"} {
			for _, nearest := range []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"} {
				if mode != "nearest" && nearest != "floor" {
					continue
				}
				for _, sc := range [][2]float64{{2, 2}, {3, 1}, {1.5, 0.6}, {0.5, 2.5}} {
					k := &resizeKernel{mode: mode, coord: coord, nearest: nearest, cubicA: -0.75, excludeOutside: mode == "cubic" && sc[0] == 3}
					name := fmt.Sprintf("%s/%s/%s/%v", mode, coord, nearest, sc)
					scales := []float64{1, 1, sc[0], sc[1]}
					outShape := []int{xs[0], xs[1], int(math.Floor(float64(xs[2]) * sc[0])), int(math.Floor(float64(xs[3]) * sc[1]))}
					out := make([]*tensor.Tensor, 1)
					rc := &runCtx{ctx: context.Background(), threads: 2}
					if !k.runFast(rc, x, outShape, scales, out) {
						if coord == "tf_half_pixel_for_nn" {
							continue // shifts the axes of scale 1: not an image resize
						}
						t.Fatalf("%s: fast path not taken", name)
					}
					taps := make([][]axisTaps, 4)
					for d := range 4 {
						taps[d] = k.axisTaps(xs[d], outShape[d], scales[d], 0, 0)
					}
					xv, _ := toFloat64s(x)
					want := make([]float64, prod(outShape))
					interpolate(want, xv, xs, outShape, taps, 0)
					got := tensor.Data[float32](out[0])
					for i := range want {
						if math.Abs(float64(got[i])-want[i]) > 1e-5 {
							t.Fatalf("%s: y[%d] = %v, general path %v", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

package preprocess

import (
	"fmt"
	"image"
	"image/draw"
	"sync"
	"sync/atomic"

	xdraw "golang.org/x/image/draw"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/tensor"
)

// areaKernel averages the source pixels under each destination pixel (a box
// filter). x/image/draw widens the kernel by the scale factor when
// shrinking, so an exact integer reduction averages exact blocks.
var areaKernel = &xdraw.Kernel{Support: 0.5, At: func(float64) float64 { return 1 }}

func interpolator(filter string) xdraw.Interpolator {
	switch filter {
	case "area":
		return areaKernel
	case "nearest":
		return xdraw.NearestNeighbor
	case "catmull-rom":
		return xdraw.CatmullRom
	default:
		return xdraw.BiLinear
	}
}

// Image applies a model's image preprocessing.
type Image struct {
	cfg  *model.ImagePreprocess
	mean []float32 // per channel
	inv  []float32 // 1/std per channel
	// scalers caches kernel scalers (their weights) by source and
	// destination size: requests mostly repeat a few image sizes.
	scalers sync.Map // scaleKey -> xdraw.Scaler
	cached  atomic.Int32
}

type scaleKey struct{ dw, dh, sw, sh int }

// maxCachedScalers bounds the cache; sizes past it are scaled uncached.
const maxCachedScalers = 64

// scaler returns the interpolator for a resize from sw x sh to dw x dh.
func (p *Image) scaler(dw, dh, sw, sh int) xdraw.Scaler {
	in := interpolator(p.cfg.Resize.Filter)
	k, ok := in.(*xdraw.Kernel)
	if !ok {
		return in // nearest neighbour needs no weights
	}
	key := scaleKey{dw, dh, sw, sh}
	if s, ok := p.scalers.Load(key); ok {
		return s.(xdraw.Scaler)
	}
	s := k.NewScaler(dw, dh, sw, sh)
	if p.cached.Add(1) <= maxCachedScalers {
		p.scalers.Store(key, s)
	}
	return s
}

// NewImage prepares the pipeline described by cfg (validated by model.Load).
func NewImage(cfg *model.ImagePreprocess) *Image {
	ch := cfg.Channels()
	p := &Image{cfg: cfg, mean: make([]float32, ch), inv: make([]float32, ch)}
	for c := range ch {
		p.mean[c], p.inv[c] = 0, 1
		if len(cfg.Mean) == 1 {
			p.mean[c] = float32(cfg.Mean[0])
		} else if len(cfg.Mean) == ch {
			p.mean[c] = float32(cfg.Mean[c])
		}
		if len(cfg.Std) == 1 {
			p.inv[c] = float32(1 / cfg.Std[0])
		} else if len(cfg.Std) == ch {
			p.inv[c] = float32(1 / cfg.Std[c])
		}
	}
	return p
}

// InputName is the model input the images feed.
func (p *Image) InputName() string { return p.cfg.Input }

// Tensor converts images into one FP32 batch tensor, [N,C,H,W] or
// [N,H,W,C]. All images must come out of resize and crop at the same size.
func (p *Image) Tensor(imgs []image.Image) (*tensor.Tensor, error) {
	if len(imgs) == 0 {
		return nil, fmt.Errorf("%w: no image", ErrBadImage)
	}
	var (
		data []float32
		w, h int
	)
	ch := p.cfg.Channels()
	for i, img := range imgs {
		rgba, err := p.geometry(img)
		if err != nil {
			return nil, err
		}
		b := rgba.Bounds()
		if i == 0 {
			w, h = b.Dx(), b.Dy()
			data = make([]float32, len(imgs)*ch*w*h)
		} else if b.Dx() != w || b.Dy() != h {
			return nil, fmt.Errorf("%w: image %d is %dx%d after preprocessing, image 0 is %dx%d; images of one request must match", ErrBadImage, i, b.Dx(), b.Dy(), w, h)
		}
		p.normalize(rgba, data[i*ch*w*h:(i+1)*ch*w*h])
	}
	if p.cfg.Layout == "NHWC" {
		return tensor.FromSlice(data, len(imgs), h, w, ch)
	}
	return tensor.FromSlice(data, len(imgs), ch, h, w)
}

// geometry converts color space for gray models, resizes and crops, and
// returns 8-bit RGBA pixels.
func (p *Image) geometry(img image.Image) (*image.RGBA, error) {
	if p.cfg.Color == "gray" {
		if _, ok := img.(*image.Gray); !ok {
			g := image.NewGray(img.Bounds())
			draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
			img = g
		}
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if r := p.cfg.Resize; r != nil {
		nw, nh := r.Width, r.Height
		if r.ShorterSide > 0 {
			nw, nh = shorterSide(w, h, r.ShorterSide)
		}
		dst := image.NewRGBA(image.Rect(0, 0, nw, nh))
		if r.Filter != "area" || !boxShrink(dst, img) {
			p.scaler(nw, nh, w, h).Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
		}
		img, b, w, h = dst, dst.Bounds(), nw, nh
	}
	if cc := p.cfg.CenterCrop; cc != nil {
		if cc.Width > w || cc.Height > h {
			return nil, fmt.Errorf("%w: image is %dx%d, smaller than the center crop %dx%d", ErrBadImage, w, h, cc.Width, cc.Height)
		}
		x0 := b.Min.X + (w-cc.Width+1)/2
		y0 := b.Min.Y + (h-cc.Height+1)/2
		b = image.Rect(x0, y0, x0+cc.Width, y0+cc.Height)
	}
	if rgba, ok := img.(*image.RGBA); ok && b == rgba.Bounds() {
		return rgba, nil
	}
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst, nil
}

// shorterSide scales (w, h) so that the shorter side is s, keeping the
// aspect ratio (truncating, as torchvision does).
func shorterSide(w, h, s int) (int, int) {
	if w <= h {
		return s, max(1, int(int64(s)*int64(h)/int64(w)))
	}
	return max(1, int(int64(s)*int64(w)/int64(h))), s
}

// normalize writes (pixel*scale - mean)/std per channel into out in the
// configured layout.
func (p *Image) normalize(img *image.RGBA, out []float32) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ch := p.cfg.Channels()
	scale := float32(*p.cfg.Scale)
	order := [3]int{0, 1, 2}
	if p.cfg.Color == "bgr" {
		order = [3]int{2, 1, 0}
	}
	nhwc := p.cfg.Layout == "NHWC"
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := range w {
			px := row[4*x : 4*x+4]
			for c := range ch {
				v := (float32(px[order[c]])*scale - p.mean[c]) * p.inv[c]
				if nhwc {
					out[(y*w+x)*ch+c] = v
				} else {
					out[(c*h+y)*w+x] = v
				}
			}
		}
	}
}

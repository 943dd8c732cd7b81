package export

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/tensor"
)

// Each calls fn for every record q selects (at most limit; 0 for all),
// page by page, and returns how many it saw.
func Each(ctx context.Context, s monitor.Store, q monitor.Query, limit int, fn func(monitor.Record) error) (int, error) {
	n := 0
	for {
		q.Limit = monitor.MaxQueryLimit
		if limit > 0 {
			q.Limit = min(q.Limit, limit-n)
		}
		if q.Limit == 0 {
			return n, nil
		}
		recs, err := s.Records(ctx, q)
		if err != nil {
			return n, err
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return n, err
			}
			n++
			q.AfterID = r.ID
		}
		if len(recs) < q.Limit {
			return n, nil
		}
	}
}

// JSONL writes the records q selects (at most limit; 0 for all) to w, one
// JSON object a line, and returns how many it wrote.
func JSONL(ctx context.Context, s monitor.Store, q monitor.Query, limit int, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	n, err := Each(ctx, s, q, limit, func(r monitor.Record) error { return enc.Encode(r) })
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// Images writes the image input of each record q selects as files,
// dir/<label>/<request id>-<row>.<ext> (dir/unlabeled/ without a label),
// and returns how many images it wrote. Images captured as sent (a BYTES
// input) are written byte for byte (.png, .jpg or .webp by their content);
// a decoded image input, a rank-4 float or uint8 tensor with 1 or 3
// channels (NCHW or NHWC, float pixels in [0, 1]), is written as PNG.
func Images(ctx context.Context, s monitor.Store, q monitor.Query, limit int, input, dir string) (int, error) {
	images := 0
	_, err := Each(ctx, s, q, limit, func(r monitor.Record) error {
		ins, err := r.Inputs.Tensors()
		if err != nil {
			return err
		}
		t := ins[input]
		if t == nil {
			return fmt.Errorf("record %d has no input %q (or it is redacted)", r.ID, input)
		}
		label := "unlabeled"
		if len(r.Label) > 0 {
			var v any
			_ = json.Unmarshal(r.Label, &v)
			label = unsafeName.ReplaceAllString(fmt.Sprint(v), "_")
		}
		if strs, ok := t.Data().([]string); ok { // kept as sent: written as is
			for row, data := range strs {
				name := fmt.Sprintf("%s-%d%s", unsafeName.ReplaceAllString(cmp.Or(r.RequestID, fmt.Sprint(r.ID)), "_"), row, imageExt(data))
				if err := writeFile(filepath.Join(dir, label, name), []byte(data)); err != nil {
					return err
				}
				images++
			}
			return nil
		}
		for row := range t.Shape()[0] {
			img, err := toImage(t, row)
			if err != nil {
				return fmt.Errorf("record %d: %w", r.ID, err)
			}
			name := fmt.Sprintf("%s-%d.png", unsafeName.ReplaceAllString(cmp.Or(r.RequestID, fmt.Sprint(r.ID)), "_"), row)
			if err := writePNG(filepath.Join(dir, label, name), img); err != nil {
				return err
			}
			images++
		}
		return nil
	})
	return images, err
}

// imageExt is the file extension of an encoded image, by its first bytes.
func imageExt(data string) string {
	switch {
	case strings.HasPrefix(data, "\x89PNG"):
		return ".png"
	case strings.HasPrefix(data, "\xff\xd8"):
		return ".jpg"
	case len(data) >= 12 && data[:4] == "RIFF" && data[8:12] == "WEBP":
		return ".webp"
	}
	return ".bin"
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// toImage turns row of a rank-4 image tensor into an image.
func toImage(t *tensor.Tensor, row int) (image.Image, error) {
	s := t.Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("input is %v, not an image batch", s)
	}
	c, h, w, nchw := s[1], s[2], s[3], true
	if c != 1 && c != 3 {
		h, w, c, nchw = s[1], s[2], s[3], false
	}
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("input %v has neither 1 nor 3 channels", s)
	}
	at := func(ch, y, x int) float64 {
		i := row * c * h * w
		if nchw {
			i += ch*h*w + y*w + x
		} else {
			i += (y*w+x)*c + ch
		}
		switch d := t.Data().(type) {
		case []float32:
			return float64(d[i]) * 255
		case []float64:
			return d[i] * 255
		case []uint8:
			return float64(d[i])
		}
		return 0
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var px [3]uint8
			for ch := range 3 {
				px[ch] = clamp(at(min(ch, c-1), y, x))
			}
			img.SetNRGBA(x, y, color.NRGBA{px[0], px[1], px[2], 255})
		}
	}
	return img, nil
}

func clamp(v float64) uint8 {
	return uint8(min(max(v+0.5, 0), 255))
}

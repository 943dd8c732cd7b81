package evaluate_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/inferd/inferd/engine/native"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/evaluate/target"
)

// The HTML report of the digits CNN, opened in headless Chromium: the
// screenshot must show the confusion matrix's diagonal (fully shaded
// cells, rgb(0,76,255)) and the per-class bars (the palette's orange and
// green), which only an SVG that rendered can draw.
func TestHTMLReportRendersInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser (about 10 s)")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium (Debian package chromium)")
	}
	l, err := target.OpenLocal(context.Background(), "../examples/models", "digits", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep, err := evaluate.Run(context.Background(), l, evaluate.Options{Data: dataset.Spec{Path: "../examples/evaluation/digits-test.csv"}, Bootstrap: -1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := evaluate.WriteHTML(&b, rep, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--hide-scrollbars", "--window-size=1100,2400", "--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "file://"+page)
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=unix:path=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	want := map[string][3]uint32{"confusion diagonal": {0, 76, 255}, "orange bars": {0xff, 0x7f, 0x0e}, "green bars": {0x2c, 0xa0, 0x2c}}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			for name, c := range want {
				if near(r>>8, c[0]) && near(g>>8, c[1]) && near(bl>>8, c[2]) {
					counts[name]++
				}
			}
		}
	}
	for name := range want {
		if counts[name] < 500 {
			t.Errorf("%s: %d pixels in the screenshot; the plots did not render", name, counts[name])
		}
	}
}

func near(a, b uint32) bool { return a+6 >= b && b+6 >= a }

package server_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
)

// multipartFiles is a multipart body of files named a.png, b.png, ...
func multipartFiles(t *testing.T, files [][]byte) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i, f := range files {
		w, err := mw.CreateFormFile("images", fmt.Sprintf("%c.png", 'a'+i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// TestMultipartErrorsNameTheFile: the files of a multipart upload share
// one pixel budget, and an error names the file it comes from, whether
// the model batches the files (digits) or runs each alone (read-number, a
// pipeline, and its detector, a model fixed to a batch of one).
func TestMultipartErrorsNameTheFile(t *testing.T) {
	const limit = 25000
	s := start(t, testutil.ExamplesCopy(t), server.WithMaxImagePixels(limit))
	square := encodePNG(t, 100, 100) // 10000 pixels
	wide := encodePNG(t, 150, 100)   // 15000: with square, the whole budget
	tests := []struct {
		name  string
		files [][]byte
		code  int
		want  string // the start of the error, or of the body for 200
	}{
		{"the budget fits exactly", [][]byte{square, wide}, http.StatusOK, `{"model":`},
		{"the third file over what is left", [][]byte{square, square, square}, http.StatusRequestEntityTooLarge,
			`file "c.png": image too large: png image is 100x100, over the limit of 5000 pixels`},
		{"the budget spent before the third file", [][]byte{square, wide, square}, http.StatusRequestEntityTooLarge,
			`file "c.png": image too large: the request's images exceed the limit of 25000 pixels`},
		{"a corrupt second file", [][]byte{square, square[:len(square)-40], square}, http.StatusBadRequest,
			`file "b.png": bad image: corrupt or truncated png`},
		{"a second file that is no image", [][]byte{square, []byte("not a picture")}, http.StatusBadRequest,
			`file "b.png": bad image: not a PNG, JPEG or WebP image`},
	}
	for _, model := range []string{"digits", "read-number", "read-number-detector"} {
		for _, tt := range tests {
			t.Run(model+"/"+tt.name, func(t *testing.T) {
				body, ct := multipartFiles(t, tt.files)
				r := do(t, http.MethodPost, s.url+"/models/"+model, ct, body)
				if r.code != tt.code {
					t.Fatalf("answer %d %s, want %d", r.code, r.body, tt.code)
				}
				if tt.code == http.StatusOK {
					var ans struct{ Results []struct{ File string } }
					r.json(t, &ans)
					if len(ans.Results) != 2 || ans.Results[0].File != "a.png" || ans.Results[1].File != "b.png" {
						t.Fatalf("answer %s, want results for a.png and b.png", r.body)
					}
					return
				}
				var e struct{ Error string }
				r.json(t, &e)
				if !strings.HasPrefix(e.Error, tt.want) {
					t.Fatalf("error %q, want it to start with %q", e.Error, tt.want)
				}
			})
		}
	}
}

// TestMultipartMemoryIsOneReservation: the files of a multipart upload
// are charged to the request's one memory reservation, so the file that
// takes it over the per-request limit is refused by name, whether the
// model batches the files or runs each alone.
func TestMultipartMemoryIsOneReservation(t *testing.T) {
	in := startBudgeted(t)
	img := encodePNG(t, 600, 600) // about 4.7 MB each against 12 MiB
	body, ct := multipartFiles(t, [][]byte{img, img, img})
	for _, model := range []string{"digits", "read-number"} {
		t.Run(model, func(t *testing.T) {
			r := do(t, http.MethodPost, in.URL+"/models/"+model, ct, body)
			var e struct{ Error string }
			r.json(t, &e)
			want := `file "c.png" (600x600 pixels) needs about`
			if r.code != http.StatusRequestEntityTooLarge || !strings.HasPrefix(e.Error, want) {
				t.Fatalf("answer %d %s, want 413 starting %q", r.code, r.body, want)
			}
		})
	}
}

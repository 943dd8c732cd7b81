package imagebuild

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestLayerEntries(t *testing.T) {
	tests := []struct {
		name    string
		in      []entry
		want    string // tar names in order
		wantErr string
	}{
		{
			name: "parents added and sorted",
			in:   []entry{dataEntry("models/b/x", nil, fileMode), dataEntry("models/a-b/y", nil, fileMode), dirEntry("models/a", dirMode), dataEntry("models.txt", nil, fileMode)},
			want: "models.txt models/ models/a-b/ models/a-b/y models/a/ models/b/ models/b/x",
		},
		{name: "duplicate", in: []entry{dataEntry("etc/passwd", nil, fileMode), dataEntry("etc/passwd", nil, fileMode)}, wantErr: "/etc/passwd is in the layer twice"},
		{name: "absolute", in: []entry{dataEntry("/etc/passwd", nil, fileMode)}, wantErr: "invalid path"},
		{name: "unclean", in: []entry{dataEntry("etc/../passwd", nil, fileMode)}, wantErr: "invalid path"},
		{name: "escaping", in: []entry{dataEntry("../passwd", nil, fileMode)}, wantErr: "invalid path"},
		{name: "empty", in: []entry{dataEntry("", nil, fileMode)}, wantErr: "invalid path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := layerEntries(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range got {
				names = append(names, e.tarName())
			}
			if s := strings.Join(names, " "); s != tt.want {
				t.Errorf("entries %q, want %q", s, tt.want)
			}
		})
	}
}

func TestWriteTarHeaders(t *testing.T) {
	src := filepath.Join(t.TempDir(), "model.onnx")
	writeFile(t, src, "weights")
	if err := os.Chmod(src, 0o600); err != nil { // the source mode does not matter
		t.Fatal(err)
	}
	fe, err := fileEntry("models/m/1/model.onnx", src, fileMode)
	if err != nil {
		t.Fatal(err)
	}
	owned := dirEntry("home/nonroot", 0o700)
	owned.uid, owned.gid = UID, GID
	entries, err := layerEntries([]entry{fe, owned, dirEntry("tmp", tmpMode), dataEntry("bin/x", []byte("#!"), execMode)})
	if err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	var buf bytes.Buffer
	if err := writeTar(&buf, entries, mtime); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	want := map[string]struct {
		typ      byte
		mode     int64
		uid, gid int
		data     string
	}{
		"bin/":                  {tar.TypeDir, dirMode, 0, 0, ""},
		"bin/x":                 {tar.TypeReg, execMode, 0, 0, "#!"},
		"home/":                 {tar.TypeDir, dirMode, 0, 0, ""},
		"home/nonroot/":         {tar.TypeDir, 0o700, UID, GID, ""},
		"models/":               {tar.TypeDir, dirMode, 0, 0, ""},
		"models/m/":             {tar.TypeDir, dirMode, 0, 0, ""},
		"models/m/1/":           {tar.TypeDir, dirMode, 0, 0, ""},
		"models/m/1/model.onnx": {tar.TypeReg, fileMode, 0, 0, "weights"},
		"tmp/":                  {tar.TypeDir, tmpMode, 0, 0, ""},
	}
	n := 0
	for ; ; n++ {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		w, ok := want[hdr.Name]
		if !ok {
			t.Errorf("unexpected entry %s", hdr.Name)
			continue
		}
		data := new(bytes.Buffer)
		data.ReadFrom(tr)
		if hdr.Typeflag != w.typ || hdr.Mode != w.mode || hdr.Uid != w.uid || hdr.Gid != w.gid || data.String() != w.data {
			t.Errorf("%s: type %c mode %o owner %d:%d data %q; want %c %o %d:%d %q", hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, data, w.typ, w.mode, w.uid, w.gid, w.data)
		}
		if !hdr.ModTime.Equal(mtime) || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: mtime %v names %q:%q", hdr.Name, hdr.ModTime, hdr.Uname, hdr.Gname)
		}
	}
	if n != len(want) {
		t.Errorf("%d entries, want %d", n, len(want))
	}
}

// A file that changes between the time it is recorded and the time the
// layer is read makes the build fail instead of giving another image.
func TestLayerDetectsChangedFiles(t *testing.T) {
	for _, tt := range []struct{ name, content string }{
		{"same size", "WEIGHTS"},
		{"longer", "weights and more"},
		{"shorter", "w"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "model.onnx")
			writeFile(t, src, "weights")
			fe, err := fileEntry("m/model.onnx", src, fileMode)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, src, tt.content)
			_, err = newLayer([]entry{fe}, time.Unix(0, 0), types.OCILayer)
			if err == nil || !strings.Contains(err.Error(), "changed while the image was being built") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestLayerDeterministic(t *testing.T) {
	src := filepath.Join(t.TempDir(), "f")
	writeFile(t, src, strings.Repeat("inferd ", 10000))
	digest := func() string {
		fe, err := fileEntry("a/f", src, fileMode)
		if err != nil {
			t.Fatal(err)
		}
		l, err := newLayer([]entry{fe, dataEntry("b", []byte("x"), fileMode)}, time.Unix(1700000000, 0), types.OCILayer)
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	first := digest()
	if err := os.Chtimes(src, time.Now(), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if second := digest(); second != first {
		t.Errorf("digest changed with the file's mtime: %s then %s", first, second)
	}
}

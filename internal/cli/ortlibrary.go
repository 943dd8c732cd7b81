package cli

import (
	"github.com/spf13/pflag"

	"github.com/inferd/inferd/engine/ort"
)

// ortLibrary is the --ort-library flag: setting it configures the ONNX
// Runtime library the "ort" engine opens on its first load.
type ortLibrary string

func (o *ortLibrary) String() string { return string(*o) }
func (o *ortLibrary) Type() string   { return "path" }

func (o *ortLibrary) Set(path string) error {
	if err := ort.SetLibraryPath(path); err != nil {
		return err
	}
	*o = ortLibrary(path)
	return nil
}

// addORTLibraryFlag registers --ort-library on fs.
func addORTLibraryFlag(fs *pflag.FlagSet) {
	var o ortLibrary
	fs.Var(&o, "ort-library", "ONNX Runtime shared library (libonnxruntime.so) for the ort engine; needs a build with -tags ort (scripts/onnxruntime.sh fetches it)")
}

package repository

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ModelFile is the file name of a version's model.
const ModelFile = "model.onnx"

// FileSHA256 returns the hex sha256 and the size of a file, such as a
// version's model file.
func FileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return readSHA256(f, path)
}

// FileSHA256FS returns the hex sha256 and the size of the file name in
// fsys, such as a version's model file in a Source's FS.
func FileSHA256FS(fsys fs.FS, name string) (string, int64, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return readSHA256(f, name)
}

func readSHA256(r io.Reader, name string) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, fmt.Errorf("reading %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

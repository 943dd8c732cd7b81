package onnx

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/inferd/inferd/onnx/internal/onnxpb"
	"github.com/inferd/inferd/tensor"
	"google.golang.org/protobuf/proto"
)

// externalModel is X + W -> Y where W ([2] float) lives in external data
// described by kv (key, value pairs).
func externalModel(kv ...string) *onnxpb.ModelProto {
	w := &onnxpb.TensorProto{Name: proto.String("W"), DataType: proto.Int32(tFloat), Dims: []int64{2},
		DataLocation: onnxpb.TensorProto_EXTERNAL.Enum()}
	for i := 0; i+1 < len(kv); i += 2 {
		w.ExternalData = append(w.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String(kv[i]), Value: proto.String(kv[i+1])})
	}
	return modelProto(&onnxpb.GraphProto{
		Name:        proto.String("ext"),
		Node:        []*onnxpb.NodeProto{nodeProto("Add", []string{"X", "W"}, []string{"Y"})},
		Initializer: []*onnxpb.TensorProto{w},
		Input:       []*onnxpb.ValueInfoProto{vi("X", tFloat, 2)},
		Output:      []*onnxpb.ValueInfoProto{vi("Y", tFloat, 2)},
	})
}

func TestExternalData(t *testing.T) {
	// Layout: top/secret.bin (outside the model directory) and
	// top/model/{model.onnx, w.bin, pad.bin, data/w.bin, inside.bin ->
	// w.bin, outside.bin -> ../secret.bin}.
	top := t.TempDir()
	dir := filepath.Join(top, "model")
	w := raw(t, []float32{1.5, -2})
	files := map[string][]byte{
		"secret.bin":       w,
		"model/w.bin":      w,
		"model/pad.bin":    append([]byte{9, 9, 9, 9}, append(w, 7, 7)...),
		"model/data/w.bin": w,
	}
	for name, data := range files {
		p := filepath.Join(top, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("w.bin", filepath.Join(dir, "inside.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "secret.bin"), filepath.Join(dir, "outside.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(top, filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		kv   []string
		want []string // error fragments; nil for success
	}{
		{"whole file", []string{"location", "w.bin"}, nil},
		{"offset and length", []string{"location", "pad.bin", "offset", "4", "length", "8"}, nil},
		{"offset, rest of file longer than needed", []string{"location", "pad.bin", "offset", "4"}, nil},
		{"subdirectory", []string{"location", "data/w.bin", "offset", "0", "length", "8"}, nil},
		{"dot-dot that stays inside", []string{"location", "data/../w.bin"}, nil},
		{"symlink inside", []string{"location", "inside.bin", "checksum", "ignored"}, nil},
		{"absolute path", []string{"location", filepath.Join(top, "secret.bin")}, []string{`tensor "W"`, "absolute path"}},
		{"escaping path", []string{"location", "../secret.bin"}, []string{`tensor "W"`, `"../secret.bin" escapes the model's directory`}},
		{"escaping after clean", []string{"location", "data/../../secret.bin"}, []string{"escapes the model's directory"}},
		{"symlink to outside", []string{"location", "outside.bin"}, []string{`tensor "W"`, `external data "outside.bin"`, "escapes"}},
		{"symlinked directory to outside", []string{"location", "up/secret.bin"}, []string{`external data "up/secret.bin"`, "escapes"}},
		{"missing file", []string{"location", "nope.bin"}, []string{`external data "nope.bin"`, "no such file"}},
		{"no location", []string{"offset", "0"}, []string{"external data has no location"}},
		{"directory", []string{"location", "data"}, []string{"not a regular file"}},
		{"offset beyond file", []string{"location", "w.bin", "offset", "100"}, []string{"offset 100 is beyond the end of the file (8 bytes)"}},
		{"length beyond file", []string{"location", "w.bin", "offset", "4", "length", "8"}, []string{"offset 4 + length 8 is beyond the end of the file"}},
		{"length too short for the tensor", []string{"location", "w.bin", "length", "4"}, []string{"holds 4 bytes at offset 0, the tensor needs 8"}},
		{"file too short for the tensor", []string{"location", "w.bin", "offset", "4"}, []string{"holds 4 bytes at offset 4, the tensor needs 8"}},
		{"bad offset", []string{"location", "w.bin", "offset", "x"}, []string{`offset "x" is not a non-negative integer`}},
		{"negative length", []string{"location", "w.bin", "length", "-8"}, []string{`length "-8" is not a non-negative integer`}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "model.onnx")
			if err := os.WriteFile(path, marshal(t, externalModel(tt.kv...)), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Load(path)
			// The same through WithFS, with os.Root's file system (which
			// also keeps symbolic links inside).
			root, rerr := os.OpenRoot(dir)
			if rerr != nil {
				t.Fatal(rerr)
			}
			defer root.Close()
			mfs, errFS := Decode(marshal(t, externalModel(tt.kv...)), WithFS(root.FS()))
			if tt.want != nil {
				checkInvalid(t, err, tt.want...)
				checkInvalid(t, errFS, tt.want...)
				return
			}
			if err != nil || errFS != nil {
				t.Fatalf("case %d: %v; WithFS: %v", i, err, errFS)
			}
			for _, m := range []*Model{m, mfs} {
				if got := tensor.Data[float32](m.Graph.Initializers["W"]); !reflect.DeepEqual(got, []float32{1.5, -2}) {
					t.Errorf("W = %v", got)
				}
			}
		})
	}
	t.Run("missing file is also fs.ErrNotExist", func(t *testing.T) {
		_, err := Decode(marshal(t, externalModel("location", "nope.bin")), WithBaseDir(dir))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v does not wrap fs.ErrNotExist", err)
		}
	})
	t.Run("WithFS without ReadAt", func(t *testing.T) {
		fsys := fstest.MapFS{"pad.bin": {Data: files["model/pad.bin"]}}
		m, err := Decode(marshal(t, externalModel("location", "pad.bin", "offset", "4", "length", "8")), WithFS(readOnly{fsys}))
		if err != nil {
			t.Fatal(err)
		}
		if got := tensor.Data[float32](m.Graph.Initializers["W"]); !reflect.DeepEqual(got, []float32{1.5, -2}) {
			t.Errorf("W = %v", got)
		}
		_, err = Decode(marshal(t, externalModel("location", "w.bin")), WithFS(nil))
		checkInvalid(t, err, "needs the model's directory")
	})
	t.Run("string tensors cannot be external", func(t *testing.T) {
		s := &onnxpb.TensorProto{Name: proto.String("s"), DataType: proto.Int32(tString), Dims: []int64{1},
			DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}}
		_, err := DecodeTensor(marshal(t, s), WithBaseDir(dir))
		checkInvalid(t, err, `tensor "s"`, "STRING tensors cannot use external data")
	})
	t.Run("missing model file", func(t *testing.T) {
		_, err := Load(filepath.Join(dir, "absent.onnx"))
		if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalidModel) {
			t.Errorf("Load of a missing file: %v", err)
		}
	})
}

// readOnly hides every method of its files but Read, Stat and Close.
type readOnly struct{ fsys fs.FS }

func (r readOnly) Open(name string) (fs.File, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	return struct{ fs.File }{f}, nil
}

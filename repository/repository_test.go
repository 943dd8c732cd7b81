package repository

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScan(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a", "config.yaml"), "description: a\n")
	write(t, filepath.Join(root, "a", "1", "model.onnx"), "x")
	write(t, filepath.Join(root, "a", "10", "model.onnx"), "x")
	write(t, filepath.Join(root, "a", "2", "README"), "no model here")
	write(t, filepath.Join(root, "a", "01", "model.onnx"), "not a version: leading zero")
	write(t, filepath.Join(root, "a", "images", "x.png"), "not a version")
	write(t, filepath.Join(root, "b", "config.yaml"), "bogus: key\n")
	write(t, filepath.Join(root, "c", "1", "model.onnx"), "no config")
	write(t, filepath.Join(root, ".hidden", "config.yaml"), "")
	write(t, filepath.Join(root, "_staging", "config.yaml"), "")
	write(t, filepath.Join(root, "README.md"), "a file")
	write(t, filepath.Join(root, "bad name!", "config.yaml"), "")
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}

	models, err := Scan(root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Model{}
	for _, m := range models {
		got[m.Name] = m
	}
	if len(got) != 5 {
		t.Fatalf("found %d models, want a, alias, b, c and \"bad name!\": %v", len(got), got)
	}
	a := got["a"]
	if a.ConfigErr != nil || a.Config.Description != "a" {
		t.Fatalf("a: %v", a.ConfigErr)
	}
	var nums []int
	for _, v := range a.Versions {
		nums = append(nums, v.Number)
	}
	if len(nums) != 3 || nums[0] != 1 || nums[1] != 2 || nums[2] != 10 {
		t.Fatalf("a versions = %v, want [1 2 10]", nums)
	}
	if a.Versions[0].Err != nil || a.Versions[2].Err != nil {
		t.Errorf("a: good versions have errors: %v, %v", a.Versions[0].Err, a.Versions[2].Err)
	}
	if err := a.Versions[1].Err; err == nil || !strings.Contains(err.Error(), "version 2 has no model.onnx") {
		t.Errorf("a/2: %v", err)
	}
	if len(got["alias"].Versions) != 3 {
		t.Errorf("symlinked model not followed")
	}
	if err := got["b"].ConfigErr; err == nil || !strings.Contains(err.Error(), `unknown key "bogus"`) {
		t.Errorf("b: %v", err)
	}
	if err := got["c"].ConfigErr; err == nil || !strings.Contains(err.Error(), "config.yaml") {
		t.Errorf("c: %v", err)
	}
	if err := got["bad name!"].ConfigErr; err == nil || !strings.Contains(err.Error(), "not a valid model name") {
		t.Errorf("bad name: %v", err)
	}
}

func TestScanMissingRoot(t *testing.T) {
	if _, err := Scan(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("Scan of a missing directory succeeded")
	}
}

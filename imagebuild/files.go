package imagebuild

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// baseEntries are the files of the base layer: the users, a writable /tmp,
// the non-root user's home and the (empty) model repository directory.
func baseEntries() []entry {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:" + strconv.Itoa(UID) + ":" + strconv.Itoa(GID) + ":nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnonroot:x:" + strconv.Itoa(GID) + ":\n"
	home := dirEntry("home/nonroot", 0o700)
	home.uid, home.gid = UID, GID
	return []entry{
		dataEntry("etc/passwd", []byte(passwd), fileMode),
		dataEntry("etc/group", []byte(group), fileMode),
		dirEntry("tmp", tmpMode),
		dirEntry("home", dirMode),
		home,
		dirEntry(strings.TrimPrefix(ModelsPath, "/"), dirMode),
	}
}

// modelEntries lists the files of a model's layer: everything in its
// directory except hidden entries (names starting with ".") and version
// directories that were not selected. Symbolic links are followed, so the
// image holds the files they point to.
func modelEntries(m Model) ([]entry, error) {
	selected := map[string]bool{}
	for _, v := range m.Versions {
		selected[strconv.Itoa(v.Number)] = true
	}
	dst := path.Join(strings.TrimPrefix(ModelsPath, "/"), m.Name)
	skip := func(rel string) bool {
		base := path.Base(rel)
		if strings.HasPrefix(base, ".") {
			return true
		}
		// A version directory (1, 2, ... as the repository scanner
		// recognizes them) at the top of the model directory.
		if !strings.Contains(rel, "/") {
			if n, err := strconv.Atoi(base); err == nil && n > 0 && strconv.Itoa(n) == base {
				return !selected[base]
			}
		}
		return false
	}
	entries := []entry{dirEntry(dst, dirMode)}
	err := walkTree(m.Dir, "", map[string]bool{}, skip, func(rel, src string, dir bool) error {
		name := path.Join(dst, rel)
		if dir {
			entries = append(entries, dirEntry(name, dirMode))
			return nil
		}
		e, err := fileEntry(name, src, fileMode)
		entries = append(entries, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	return entries, nil
}

// walkTree calls fn for every file and directory below dir (rel is the
// slash-separated path below the root), following symbolic links. active
// holds the real paths of the directories being walked, to detect loops.
func walkTree(dir, rel string, active map[string]bool, skip func(rel string) bool, fn func(rel, src string, dir bool) error) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if active[real] {
		return fmt.Errorf("%s: symbolic link loop", dir)
	}
	active[real] = true
	defer delete(active, real)
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, de := range des {
		r := path.Join(rel, de.Name())
		if skip(r) {
			continue
		}
		src := filepath.Join(dir, de.Name())
		st, err := os.Stat(src) // follows symbolic links
		if err != nil {
			return err
		}
		switch {
		case st.IsDir():
			if err := fn(r, src, true); err != nil {
				return err
			}
			if err := walkTree(src, r, active, skip, fn); err != nil {
				return err
			}
		case st.Mode().IsRegular():
			if err := fn(r, src, false); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s is a %s, not a file or directory", src, fileKind(st.Mode()))
		}
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrExists is returned by Write when the file exists and force is false.
var ErrExists = errors.New("already exists")

// Write creates path with data. It refuses to replace an existing file
// unless force: a hand-edited config is worth more than a fresh template.
func Write(path string, data []byte, force bool) (err error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s %w; pass --force to overwrite it", path, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

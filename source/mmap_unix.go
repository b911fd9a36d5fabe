//go:build unix

package source

import (
	"os"

	"golang.org/x/sys/unix"
)

// canMapFiles says whether pack files can be mapped into memory here.
const canMapFiles = true

// mapFile maps a file read-only into memory. The mapping stays valid if
// the file is deleted (a git gc that repacks meanwhile).
func mapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return []byte{}, nil
	}
	return unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
}

func unmapFile(data []byte) {
	if len(data) > 0 {
		_ = unix.Munmap(data)
	}
}

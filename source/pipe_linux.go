package source

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// pipeSize is the buffer asked of the kernel for git's output pipes: at
// the default 64 KiB, git and leakgate took turns at every 64 KiB of a
// 1.6 GB history.
const pipeSize = 1 << 20

// widenPipe enlarges the kernel buffer of a pipe, if it is one; failure
// (an unprivileged process over /proc/sys/fs/pipe-max-size) changes
// nothing but speed.
func widenPipe(r io.Reader) {
	f, ok := r.(*os.File)
	if !ok {
		return
	}
	if c, err := f.SyscallConn(); err == nil {
		_ = c.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeSize) })
	}
}

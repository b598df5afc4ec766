package compute

import (
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"
)

// outputFS is a job's writable /output: a fresh host directory seen through caps on
// the bytes written, the entries made, their depth and their names' length. Passing a
// cap fails that call and the job (over, once, with the cap in words). It shows the
// job nothing of the host: no links, times fixed at the epoch, no inode or device
// numbers, and directories listed in name order, so two runs see the same things.
type outputFS struct {
	experimentalsys.FS
	mu      sync.Mutex
	bytes   int64 // written, counting every write (an overwrite too)
	entries int   // files and directories made
	max     OutputTree
	over    func(reason string)
	failed  string // the first cap passed
}

// OutputTree caps what a job may leave in /output. Zero Bytes means the job has no
// /output.
type OutputTree struct {
	Bytes int // written in all, up to terms.MaxBlob
	Files int // files and directories, up to MaxOutputFiles
}

// MaxOutputFiles bounds OutputTree.Files.
const MaxOutputFiles = 100_000

func newOutputFS(dir string, max OutputTree, over func(string)) *outputFS {
	return &outputFS{FS: sysfs.DirFS(dir), max: max, over: over}
}

// fail notes the cap passed and reports it once.
func (o *outputFS) fail(reason string) {
	o.mu.Lock()
	first := o.failed == ""
	if first {
		o.failed = reason
	}
	o.mu.Unlock()
	if first {
		o.over(reason)
	}
}

// reason is the cap the job passed, in words, or "".
func (o *outputFS) reason() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed
}

// checkName refuses a path too deep or with too long a name. Paths are relative to
// /output.
func (o *outputFS) checkName(path string) experimentalsys.Errno {
	elems := strings.Split(strings.Trim(path, "/"), "/")
	if len(elems) > MaxTreeDepth {
		o.fail(fmt.Sprintf("made %s in /output, deeper than its cap of %d levels", path, MaxTreeDepth))
		return experimentalsys.EPERM
	}
	for _, e := range elems {
		if len(e) > MaxTreeName {
			o.fail(fmt.Sprintf("made a name of %d bytes in /output, over its cap of %d", len(e), MaxTreeName))
			return experimentalsys.ENAMETOOLONG
		}
	}
	return 0
}

// made counts one more entry.
func (o *outputFS) made() experimentalsys.Errno {
	o.mu.Lock()
	o.entries++
	n := o.entries
	o.mu.Unlock()
	if n > o.max.Files {
		o.fail(fmt.Sprintf("made more than its cap of %d files in /output", o.max.Files))
		return experimentalsys.EPERM
	}
	return 0
}

// wrote counts n more bytes written.
func (o *outputFS) wrote(n int64) experimentalsys.Errno {
	o.mu.Lock()
	o.bytes += n
	total := o.bytes
	o.mu.Unlock()
	if total > int64(o.max.Bytes) {
		o.fail(fmt.Sprintf("wrote more than its cap of %d bytes to /output", o.max.Bytes))
		return experimentalsys.EPERM
	}
	return 0
}

func (o *outputFS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	if errno := o.checkName(path); errno != 0 {
		return nil, errno
	}
	if flag&experimentalsys.O_CREAT != 0 {
		if _, errno := o.FS.Lstat(path); errno == experimentalsys.ENOENT {
			if errno := o.made(); errno != 0 {
				return nil, errno
			}
		}
	}
	f, errno := o.FS.OpenFile(path, flag, perm)
	if errno != 0 {
		return nil, errno
	}
	return &outputFile{File: f, o: o}, 0
}

func (o *outputFS) Mkdir(path string, perm fs.FileMode) experimentalsys.Errno {
	if errno := o.checkName(path); errno != 0 {
		return errno
	}
	if errno := o.made(); errno != 0 {
		return errno
	}
	return o.FS.Mkdir(path, perm)
}

func (o *outputFS) Rename(from, to string) experimentalsys.Errno {
	if errno := o.checkName(to); errno != 0 {
		return errno
	}
	return o.FS.Rename(from, to)
}

// Links would leave the tree something it cannot pack (and a symbolic one could name
// the host's files to whoever unpacks it).
func (o *outputFS) Link(string, string) experimentalsys.Errno    { return experimentalsys.EPERM }
func (o *outputFS) Symlink(string, string) experimentalsys.Errno { return experimentalsys.EPERM }

func (o *outputFS) Stat(path string) (sys.Stat_t, experimentalsys.Errno) {
	st, errno := o.FS.Stat(path)
	return fixedStat(st), errno
}

func (o *outputFS) Lstat(path string) (sys.Stat_t, experimentalsys.Errno) {
	st, errno := o.FS.Lstat(path)
	return fixedStat(st), errno
}

// fixedStat keeps what the job made (kind, size) and fixes what the host decides.
func fixedStat(st sys.Stat_t) sys.Stat_t {
	t := epoch.UnixNano()
	return sys.Stat_t{Mode: st.Mode, Nlink: 1, Size: st.Size, Atim: t, Mtim: t, Ctim: t}
}

// outputFile counts what is written to one file of /output.
type outputFile struct {
	experimentalsys.File
	o    *outputFS
	list []experimentalsys.Dirent // a directory's entries in name order, from the first Readdir
	read bool
}

func (f *outputFile) Write(b []byte) (int, experimentalsys.Errno) {
	pos, errno := f.File.Seek(0, io.SeekCurrent)
	if errno != 0 {
		return 0, errno
	}
	if errno := f.wroteAt(b, pos); errno != 0 {
		return 0, errno
	}
	return f.File.Write(b)
}

func (f *outputFile) Pwrite(b []byte, off int64) (int, experimentalsys.Errno) {
	if errno := f.wroteAt(b, off); errno != 0 {
		return 0, errno
	}
	return f.File.Pwrite(b, off)
}

// wroteAt counts a write of b at offset off, and the gap before it when off is past
// the file's end: a seek past the end followed by one byte leaves a file as long as
// the offset, which the packing after the run reads whole. (A file opened to append
// writes at its end whatever the offset; counting a gap there only errs on the safe
// side.)
func (f *outputFile) wroteAt(b []byte, off int64) experimentalsys.Errno {
	st, errno := f.File.Stat()
	if errno != 0 {
		return errno
	}
	return f.o.wrote(int64(len(b)) + max(0, off-st.Size))
}

// Truncate counts a file's growth as written: the zeros are output too.
func (f *outputFile) Truncate(size int64) experimentalsys.Errno {
	st, errno := f.File.Stat()
	if errno != 0 {
		return errno
	}
	if size > st.Size {
		if errno := f.o.wrote(size - st.Size); errno != 0 {
			return errno
		}
	}
	return f.File.Truncate(size)
}

func (f *outputFile) Stat() (sys.Stat_t, experimentalsys.Errno) {
	st, errno := f.File.Stat()
	return fixedStat(st), errno
}

func (f *outputFile) Ino() (sys.Inode, experimentalsys.Errno) { return 0, 0 }
func (f *outputFile) Dev() (uint64, experimentalsys.Errno)    { return 0, 0 }

// Readdir lists the directory in name order: the host's order is its file system's.
// The first call reads the whole directory and sorts it. wazero rewinds a directory
// by seeking the host's file to its start, after which the host's file lists
// entries again where it had none left: that starts the listing over.
func (f *outputFile) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	var fresh []experimentalsys.Dirent
	if f.read {
		probe, errno := f.File.Readdir(1)
		if errno != 0 {
			return nil, errno
		}
		if len(probe) > 0 {
			f.read, fresh = false, probe
		}
	}
	if !f.read {
		rest, errno := f.File.Readdir(-1)
		if errno != 0 {
			return nil, errno
		}
		all := append(fresh, rest...)
		for i := range all {
			all[i].Ino = 0
		}
		slices.SortFunc(all, func(a, b experimentalsys.Dirent) int { return strings.Compare(a.Name, b.Name) })
		f.list, f.read = all, true
	}
	if n < 0 || n > len(f.list) {
		n = len(f.list)
	}
	out := f.list[:n]
	f.list = f.list[n:]
	return out, 0
}

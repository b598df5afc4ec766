// Command outtree fills /output as its argument says, ignoring write errors, so the
// sandbox's caps on /output are what stops it.
//
//	outtree bytes N | hole N | pwhole N | files N | deep N | movedeep | name N | link | list | env
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	n := 0
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	switch os.Args[1] {
	case "bytes":
		f, _ := os.Create("/output/big")
		buf := make([]byte, 1000)
		for i := 0; i < n/len(buf); i++ {
			f.Write(buf)
		}
		f.Close()
	case "hole":
		// One byte written N bytes past the start: the file is N+1 bytes long.
		f, _ := os.Create("/output/sparse")
		f.Seek(int64(n), io.SeekStart)
		f.Write([]byte{1})
		f.Close()
	case "pwhole":
		f, _ := os.Create("/output/sparse")
		f.WriteAt([]byte{1}, int64(n))
		f.Close()
	case "files":
		for i := range n {
			os.WriteFile(fmt.Sprintf("/output/f%d", i), []byte("x"), 0o644)
		}
	case "deep":
		os.MkdirAll("/output/"+strings.Repeat("d/", n), 0o755)
	case "movedeep":
		// Each half within the depth cap, moved together past it: only the packing
		// after the run sees the whole depth.
		os.MkdirAll("/output/a/"+strings.Repeat("d/", 20), 0o755)
		os.MkdirAll("/output/b/"+strings.Repeat("e/", 20), 0o755)
		os.Rename("/output/b", "/output/a/"+strings.Repeat("d/", 20)+"b")
	case "name":
		os.WriteFile("/output/"+strings.Repeat("n", n), nil, 0o644)
	case "link":
		os.WriteFile("/output/a", nil, 0o644)
		if err := os.Symlink("/etc/passwd", "/output/l"); err == nil {
			fmt.Println("linked")
		}
	case "list":
		// Made in reverse order; the job must see them listed in name order, with
		// fixed times, whatever the host's file system does.
		for _, name := range []string{"c", "b", "a"} {
			os.WriteFile(filepath.Join("/output", name), []byte(name), 0o644)
		}
		es, _ := os.ReadDir("/output")
		for _, e := range es {
			info, _ := e.Info()
			fmt.Println(e.Name(), info.Size(), info.ModTime().UTC().Format("2006-01-02"))
		}
	case "env":
		fmt.Println(strings.Join(os.Environ(), ";"))
	}
}

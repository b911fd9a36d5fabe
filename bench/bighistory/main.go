// Command bighistory writes a `git fast-import` stream of a large,
// synthetic git history to standard output, for benchmarking full-history
// scans (bench/big-run.sh):
//
//	go run ./bench/bighistory -commits 200000 -files 30000 -per 5 | git -C REPO fast-import --quiet
//
// Every commit is on refs/heads/main, by "A U Thor <a@example.com>" at
// 1500000000+i +0000, with the message "commit i" (i from 1), and changes
// -per files picked at random among -files (path dirD/subS/fileN.txt,
// D = N%50, S = N%7). A file met for the first time gets 5 to 60 lines
// "line <l> of file <n> <16 random hex digits>"; a file met before gets one
// random line replaced by "changed <i> <16 random hex digits>". Each new
// version is a blob with a mark that the commit names (M 100644 :mark path).
// The text holds nothing that looks like a credential.
//
// The output depends only on the flags: the random numbers come from
// math/rand/v2's PCG with a fixed seed.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	commits := flag.Int("commits", 200000, "number of commits")
	files := flag.Int("files", 30000, "number of distinct files")
	per := flag.Int("per", 5, "files changed per commit")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *commits < 1 || *files < 1 || *per < 1 {
		fmt.Fprintln(os.Stderr, "bighistory: -commits, -files and -per must be at least 1")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	if err := generate(w, *commits, *files, min(*per, *files), *seed); err != nil {
		fmt.Fprintln(os.Stderr, "bighistory:", err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "bighistory:", err)
		os.Exit(1)
	}
}

// generate writes the whole stream to w. bufio.Writer keeps the first
// write error and returns it from every later call, so checking the last
// write of each commit is enough.
func generate(w *bufio.Writer, commits, files, per int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x6269676869737472)) // "bighistr"
	content := make([][][]byte, files)                     // file number -> its lines, without "\n"
	var (
		mark    int
		num     []byte // scratch for numbers
		blob    []byte // scratch for one blob's content
		changed = make([]int, 0, per)
		marks   = make([]int, 0, per)
		picked  = make(map[int]bool, per)
	)
	// The stream must end with "done", so that a truncated one fails.
	w.WriteString("feature done\n")
	for c := 1; c <= commits; c++ {
		changed, marks = changed[:0], marks[:0]
		clear(picked)
		for len(changed) < per {
			n := rng.IntN(files)
			if picked[n] {
				continue
			}
			picked[n] = true
			changed = append(changed, n)
		}
		for _, n := range changed {
			lines := content[n]
			if lines == nil {
				lines = make([][]byte, 5+rng.IntN(56))
				for l := range lines {
					b := append([]byte("line "), strconv.Itoa(l+1)...)
					b = append(b, " of file "...)
					b = strconv.AppendInt(b, int64(n), 10)
					b = append(b, ' ')
					lines[l] = appendHex16(b, rng.Uint64())
				}
				content[n] = lines
			} else {
				l := rng.IntN(len(lines))
				b := append(lines[l][:0], "changed "...)
				b = strconv.AppendInt(b, int64(c), 10)
				b = append(b, ' ')
				lines[l] = appendHex16(b, rng.Uint64())
			}
			blob = blob[:0]
			for _, line := range lines {
				blob = append(blob, line...)
				blob = append(blob, '\n')
			}
			mark++
			marks = append(marks, mark)
			w.WriteString("blob\nmark :")
			w.Write(strconv.AppendInt(num[:0], int64(mark), 10))
			w.WriteString("\ndata ")
			w.Write(strconv.AppendInt(num[:0], int64(len(blob)), 10))
			w.WriteByte('\n')
			w.Write(blob)
			w.WriteByte('\n')
		}
		msg := append(append(num[:0], "commit "...), strconv.Itoa(c)...)
		w.WriteString("commit refs/heads/main\ncommitter A U Thor <a@example.com> ")
		w.WriteString(strconv.Itoa(1500000000 + c))
		w.WriteString(" +0000\ndata ")
		w.WriteString(strconv.Itoa(len(msg)))
		w.WriteByte('\n')
		w.Write(msg)
		w.WriteByte('\n')
		for k, n := range changed {
			w.WriteString("M 100644 :")
			w.WriteString(strconv.Itoa(marks[k]))
			w.WriteString(" dir")
			w.WriteString(strconv.Itoa(n % 50))
			w.WriteString("/sub")
			w.WriteString(strconv.Itoa(n % 7))
			w.WriteString("/file")
			w.WriteString(strconv.Itoa(n))
			w.WriteString(".txt\n")
		}
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	_, err := w.WriteString("done\n")
	return err
}

// appendHex16 appends v as 16 lower-case hex digits.
func appendHex16(b []byte, v uint64) []byte {
	const digits = "0123456789abcdef"
	for shift := 60; shift >= 0; shift -= 4 {
		b = append(b, digits[(v>>uint(shift))&0xf])
	}
	return b
}

// Command changedlines measures, on a git repository, what scanning only
// the lines each commit changed saves, and how much leakgate would hold
// back while reading blobs in pack order. It backs two numbers in
// bench/GIT-RESULTS.md and the README.
//
//	go run ./bench/changedlines REPO
//
// It reads every blob into memory (about the size of the history's blobs:
// 1.6 GB for the benchmark repository), so it is a benchmark tool, not
// part of leakgate. For each text blob, at its first (path, commit) in
// `git log --all --topo-order --reverse`, it counts the bytes of lines that
// are not lines of the blob(s) it replaced there (a set of line hashes, as
// leakgate's leftover check), with and without two lines of context. Then
// it replays a read in pack order (and in reverse) in which a blob waits
// until every blob it replaced has been read, and prints the most bytes
// waiting at once.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

const context = 2

type place struct{ parents []string }

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: changedlines REPO")
		os.Exit(2)
	}
	repo := os.Args[1]
	first, order, err := listing(repo)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	data, packOrder, err := readBlobs(repo)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	measure(first, order, data)
	size := map[string]int{}
	for id, d := range data {
		size[id] = len(d)
	}
	hold("pack order", packOrder, first, size)
	rev := make([]string, len(packOrder))
	for i, id := range packOrder {
		rev[len(packOrder)-1-i] = id
	}
	hold("reverse pack order", rev, first, size)
}

// listing returns each blob's first place (with the blobs it replaced
// there) and the blobs in the order they were introduced.
func listing(repo string) (map[string]place, []string, error) {
	out, err := exec.Command("git", "-C", repo, "log", "--all", "--topo-order", "--reverse", "--raw", "-c",
		"--no-abbrev", "--no-renames", "--root", "-z", "--format=%x01%H").Output()
	if err != nil {
		return nil, nil, fmt.Errorf("git log: %w", err)
	}
	first := map[string]place{}
	var order []string
	toks := bytes.Split(out, []byte{0})
	for i := 0; i+1 < len(toks); i++ {
		t := bytes.TrimLeft(toks[i], "\n")
		if len(t) == 0 || t[0] != ':' {
			continue
		}
		n := 0
		for t[n] == ':' {
			n++
		}
		f := strings.Fields(string(t[n:]))
		i++ // the path
		if len(f) != 2*n+3 {
			continue
		}
		mode, id := f[n], f[2*n+1]
		if !strings.HasPrefix(mode, "10") || strings.Trim(id, "0") == "" {
			continue
		}
		if _, ok := first[id]; ok {
			continue
		}
		var ps []string
		for k := range n {
			if p := f[n+1+k]; strings.Trim(p, "0") != "" && strings.HasPrefix(f[k], "10") {
				ps = append(ps, p)
			}
		}
		first[id] = place{ps}
		order = append(order, id)
	}
	return first, order, nil
}

// readBlobs reads every blob, and returns them with their pack order.
func readBlobs(repo string) (map[string][]byte, []string, error) {
	cmd := exec.Command("git", "-C", repo, "cat-file", "--batch-all-objects", "--batch", "--unordered")
	r, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(r, 1<<20)
	data := map[string][]byte{}
	var order []string
	for {
		hdr, err := br.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		f := strings.Fields(hdr)
		if len(f) != 3 {
			return nil, nil, fmt.Errorf("bad header %q", hdr)
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, nil, err
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, nil, err
		}
		if f[1] == "blob" {
			data[f[0]] = buf[:n]
			order = append(order, f[0])
		}
	}
	return data, order, cmd.Wait()
}

func isBinary(d []byte) bool { return bytes.IndexByte(d[:min(len(d), 8000)], 0) >= 0 }

func measure(first map[string]place, order []string, data map[string][]byte) {
	seed := maphash.MakeSeed()
	var total, added, changed, fresh, withContext int64
	for _, id := range order {
		d := data[id]
		if isBinary(d) {
			continue
		}
		total += int64(len(d))
		pl := first[id]
		if len(pl.parents) == 0 {
			added += int64(len(d))
			fresh += int64(len(d))
			withContext += int64(len(d))
			continue
		}
		changed += int64(len(d))
		old := map[uint64]bool{}
		for _, p := range pl.parents {
			for _, l := range bytes.Split(data[p], []byte{'\n'}) {
				old[maphash.Bytes(seed, l)] = true
			}
		}
		lines := bytes.SplitAfter(d, []byte{'\n'})
		isNew := make([]bool, len(lines))
		for j, l := range lines {
			if !old[maphash.Bytes(seed, bytes.TrimSuffix(l, []byte{'\n'}))] {
				isNew[j] = true
				fresh += int64(len(l))
			}
		}
		for j := range lines {
			for q := max(0, j-context); q <= min(len(lines)-1, j+context); q++ {
				if isNew[q] {
					withContext += int64(len(lines[j]))
					break
				}
			}
		}
	}
	pct := func(n int64) float64 { return 100 * float64(n) / float64(total) }
	fmt.Printf("text blobs %d MB: added files %d MB, changed files %d MB\n", total>>20, added>>20, changed>>20)
	fmt.Printf("lines new to their file %d MB (%.1f%%), with %d lines of context %d MB (%.1f%%)\n",
		fresh>>20, pct(fresh), context, withContext>>20, pct(withContext))
}

// hold replays a read in the given order in which a blob waits until every
// blob it replaced has been read, and prints the most bytes waiting.
func hold(name string, order []string, first map[string]place, size map[string]int) {
	read := map[string]bool{}
	waiting := map[string][]string{}
	need := map[string]int{}
	pending, peak := 0, 0
	for _, id := range order {
		if _, listed := first[id]; !listed {
			continue
		}
		read[id] = true
		for _, c := range waiting[id] {
			if need[c]--; need[c] == 0 {
				pending -= size[c]
			}
		}
		delete(waiting, id)
		n := 0
		for _, p := range first[id].parents {
			if _, listed := first[p]; listed && !read[p] {
				waiting[p] = append(waiting[p], id)
				n++
			}
		}
		if n > 0 {
			need[id] = n
			pending += size[id]
			peak = max(peak, pending)
		}
	}
	fmt.Printf("%s: at most %d MB waiting for the blob they replaced\n", name, peak>>20)
}

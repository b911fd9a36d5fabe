package detect_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakgate/leakgate/detect"
	"github.com/leakgate/leakgate/leak"
	"github.com/leakgate/leakgate/rules"
	"github.com/leakgate/leakgate/scan"
	"github.com/leakgate/leakgate/source"
)

// benchText is generated source-like text: code, comments, config lines,
// base64 blobs and, rarely, a planted credential-shaped assignment.
func benchText(size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"func", "return", "if", "err", "nil", "client", "config", "request", "item",
		"value", "string", "int", "for", "range", "context", "response", "header", "list", "name", "id"}
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b bytes.Buffer
	for b.Len() < size {
		switch n := r.IntN(100); {
		case n < 70:
			b.WriteString("\t")
			for range 3 + r.IntN(10) {
				b.WriteString(words[r.IntN(len(words))])
				b.WriteByte(" .(),:="[r.IntN(7)])
			}
		case n < 85:
			b.WriteString("// ")
			for range 5 + r.IntN(12) {
				b.WriteString(words[r.IntN(len(words))])
				b.WriteByte(' ')
			}
		case n < 95:
			names := []string{"user", "host", "port", "timeout", "region", "token", "password", "secret", "endpoint"}
			fmt.Fprintf(&b, "%s_%s: %q", names[r.IntN(len(names))], words[r.IntN(len(words))], words[r.IntN(len(words))])
		case n < 99:
			b.WriteString("data = \"")
			for range 40 + r.IntN(120) {
				b.WriteByte(b64[r.IntN(64)])
			}
			b.WriteString("\"")
		default:
			b.WriteString("api_key = \"")
			for range 32 {
				b.WriteByte(b64[r.IntN(62)])
			}
			b.WriteString("\"")
		}
		b.WriteByte('\n')
	}
	return b.Bytes()[:size]
}

// BenchmarkDetect runs the default rules over 1 MiB of generated text.
func BenchmarkDetect(b *testing.B) {
	d, err := detect.New(rules.Default(), detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	data := benchText(1 << 20)
	c := leak.Chunk{Data: data, Origin: leak.Origin{Path: "pkg/client/config.go"}}
	d.Detect(c) // compiles the regexes it needs
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		d.Detect(c)
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(len(data))*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
}

// BenchmarkDetectCorpus runs the default rules over every text file under
// $LEAKGATE_BENCH_CORPUS (bench/corpus.sh builds one), skipping what the
// directory source skips (binary and over-10-MiB files). Files are read
// into memory first: this measures the detector alone, no I/O.
//
//	LEAKGATE_BENCH_CORPUS=/tmp/leakgate-bench/corpus/half \
//	  go test ./detect -run '^$' -bench DetectCorpus -benchtime 1x -cpuprofile cpu.out
func BenchmarkDetectCorpus(b *testing.B) {
	root := os.Getenv("LEAKGATE_BENCH_CORPUS")
	if root == "" {
		b.Skip("LEAKGATE_BENCH_CORPUS is not set (bench/corpus.sh builds a corpus)")
	}
	d, err := detect.New(rules.Default(), detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var chunks []leak.Chunk
	var total int64
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		info, err := e.Info()
		if err != nil || info.Size() > source.DefaultMaxFileSize {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil || source.IsBinary(data) {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		chunks = append(chunks, leak.Chunk{Data: data, Origin: leak.Origin{Path: filepath.ToSlash(rel)}})
		total += int64(len(data))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(chunks) == 0 {
		b.Fatalf("no text files under %s", root)
	}
	// Regexes compile on first use: compile them all now, so that the
	// first run of a -count series is timed like the others.
	for _, r := range d.Rules().Rules {
		r.Compiled()
		r.AnchoredRegex()
	}
	b.SetBytes(total)
	b.ResetTimer()
	findings := 0
	cpu0 := processCPU()
	for b.Loop() {
		findings = 0
		for _, c := range chunks {
			findings += len(d.Detect(c))
		}
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		// CPU time (GC included) is steadier than wall time on a busy
		// machine: this is throughput per core.
		b.ReportMetric(float64(total)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(len(chunks)), "files")
	if testing.Verbose() {
		b.Logf("%d files, %d bytes, %d findings under %s", len(chunks), total, findings, strings.TrimSuffix(root, "/"))
	}
}

// BenchmarkScanCorpus runs the whole pipeline that `leakgate scan --no-git
// DIR` runs (directory walk, parallel reads, binary and size checks, the
// detector on every CPU, dedupe) over $LEAKGATE_BENCH_CORPUS, without the
// report rendering: its CPU profile shows where the CLI's time goes,
// I/O and GC included.
func BenchmarkScanCorpus(b *testing.B) {
	root := os.Getenv("LEAKGATE_BENCH_CORPUS")
	if root == "" {
		b.Skip("LEAKGATE_BENCH_CORPUS is not set (bench/corpus.sh builds a corpus)")
	}
	d, err := detect.New(rules.Default(), detect.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var res *scan.Result
	for b.Loop() {
		res, err = scan.Run(context.Background(), scan.Config{Source: &source.Dir{Root: root}, Detector: d})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(res.Summary.Bytes)
	b.ReportMetric(float64(res.Summary.Findings), "findings")
	b.ReportMetric(float64(res.Summary.Files), "files")
}

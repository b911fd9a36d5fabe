package detect

import (
	"bytes"
	"testing"

	"github.com/leakgate/leakgate/leak"
)

// Many findings on one long line cost one pass over the line for their
// positions and allow markers, not one pass each: 20,000 findings on a
// 1 MB line must finish (a quadratic resolver would scan 20 GB).
func TestManyFindingsOnOneLine(t *testing.T) {
	t.Parallel()
	d := newTestDetector(t, Options{})
	var b bytes.Buffer
	for b.Len() < 1<<20 {
		b.WriteString("é AKIAQYLPMN5HHHFPZAM2 ,")
	}
	fs := d.Detect(leak.Chunk{Data: b.Bytes(), Origin: leak.Origin{Path: "x"}})
	if len(fs) < 20000 {
		t.Fatalf("%d findings", len(fs))
	}
	for i, f := range fs {
		if want := i*len("é AKIAQYLPMN5HHHFPZAM2 ,") + 3; f.Origin.Column != want-(i) || f.Origin.Line != 1 {
			t.Fatalf("finding %d at line %d column %d, want column %d", i, f.Origin.Line, f.Origin.Column, want-i)
		}
	}
}

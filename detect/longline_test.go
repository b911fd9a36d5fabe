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

// The context of a secret is the text around it on its line, at most
// leak.MaxContext bytes; a secret longer than half of that (a whole private
// key file) gets none, and never a panic.
func TestContextOfSecretLongerThanMaxContext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ before, secret, after, want int }{
		{0, 5056, 2, 0}, {10, leak.MaxContext + 1, 0, 0}, {3000, 3 * leak.MaxContext, 3000, 0},
		{10, leak.MaxContext / 2, 10, leak.MaxContext/2 + 20},
		{3000, 40, 3000, leak.MaxContext},
	} {
		data := bytes.Repeat([]byte("x"), tc.before+tc.secret+tc.after)
		start, end := tc.before, tc.before+tc.secret
		got := lineAround(data, start, end)
		if len(got) != tc.want || (tc.want > 0 && !bytes.Contains([]byte(got), data[start:end])) {
			t.Errorf("lineAround(%d bytes, %d, %d): %d bytes, want %d with the secret", len(data), start, end, len(got), tc.want)
		}
	}
	line := []byte("a\nKEY=abcdef tail\nb")
	if got := lineAround(line, 6, 12); got != "KEY=abcdef tail" {
		t.Errorf("lineAround stops at line ends: %q", got)
	}
}

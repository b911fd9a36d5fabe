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

// A secret longer than leak.MaxContext (a whole private key file) must not
// make the context window start after the secret.
func TestContextOfSecretLongerThanMaxContext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ before, secret, after int }{
		{0, 5056, 2}, {10, leak.MaxContext + 1, 0}, {3000, 3 * leak.MaxContext, 3000},
	} {
		data := bytes.Repeat([]byte("x"), tc.before+tc.secret+tc.after)
		start, end := tc.before, tc.before+tc.secret
		got := lineAround(data, start, end)
		if !bytes.Contains([]byte(got), data[start:end]) {
			t.Errorf("lineAround(%d bytes, %d, %d): %d bytes, without the secret", len(data), start, end, len(got))
		}
	}
}
